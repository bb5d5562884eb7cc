import { sdkCommands } from '../../client/src/command-spec.ts';
import { SESSION_ROUTES } from './routes.ts';
import type { SdkCore } from '../../client/src/core.ts';
import type { SessionInfo } from '../../client/src/types.ts';

/**
 * The feature's part of the client SDK: its commands and the account's sessions list. Refresh and
 * logout are the client's own session upkeep (client/src/client.ts: single flight, timers, the socket).
 */
export const SESSION_COMMANDS = sdkCommands(SESSION_ROUTES);

export function sessionsSdk(core: SdkCore) {
  return {
    async sessions(): Promise<SessionInfo[]> {
      return (await core.authed('sessions_list', {})).data as SessionInfo[];
    },
    async revokeSession(sessionId: string): Promise<void> {
      await core.authed('session_revoke', { sessionId });
    },
    async revokeOtherSessions(): Promise<void> {
      await core.authed('sessions_revoke_others', {});
    },
  };
}
