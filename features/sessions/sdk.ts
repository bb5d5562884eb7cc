import { type CommandSpec, postCommand } from '../../client/src/command-spec.ts';
import type { SdkCore } from '../../client/src/core.ts';
import type { SessionInfo } from '../../client/src/types.ts';

/**
 * The feature's part of the client SDK: its commands and the account's sessions list. Refresh and
 * logout are the client's own session upkeep (client/src/client.ts: single flight, timers, the socket).
 */
export const SESSION_COMMANDS = {
  refresh: postCommand('refresh', '/auth/refresh', { deferrable: true }),
  logout: postCommand('logout', '/auth/logout', { deferrable: true }),
  sessions_list: { method: 'GET', path: () => '/auth/sessions', bearer: true, wsType: 'sessions_list', deferrable: false },
  session_revoke: {
    method: 'DELETE',
    path: (body) => `/auth/sessions/${encodeURIComponent(String(body.sessionId))}`,
    bearer: true,
    wsType: 'session_revoke',
    deferrable: false,
    inPath: ['sessionId'],
  },
  sessions_revoke_others: postCommand('sessions_revoke_others', '/auth/sessions/revoke-others', { bearer: true }),
} satisfies Record<string, CommandSpec>;

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
