import type { LiveEvents } from '@authgate/shared/live/types';
import type { SessionRevocations } from '@authgate/shared/security/revocations';
import type { SessionDirectory } from './stores/directory.ts';
import type { SessionStore } from './stores/sessions.ts';

export type RevokeReason = 'logout' | 'refresh_reuse' | 'revoked' | 'revoked_by_admin' | 'account_disabled' | 'password_changed' | 'password_reset';

export interface SessionEnding {
  sessions: SessionStore;
  revocations: SessionRevocations;
  directory: SessionDirectory;
  live: LiveEvents;
}

/**
 * Ends a session everywhere, in the order that closes the door first: its refresh token stops working
 * (the store), its access tokens stop verifying on every edge (the revocation broadcast), it leaves the
 * account's list, and the account's live sockets hear `session.revoked` while that session's own
 * connections are closed with 4001. `refreshEnded`: the store already dropped it (logout, reuse).
 */
export async function endSession(
  drivers: SessionEnding,
  userId: string,
  sid: string,
  reason: RevokeReason,
  options: { refreshEnded?: boolean } = {},
): Promise<void> {
  if (!options.refreshEnded) await drivers.sessions.end(sid);
  await drivers.revocations.revoke(sid);
  await drivers.directory.remove(userId, sid);
  await drivers.live.publish({ userId, event: 'session.revoked', data: { sessionId: sid, reason }, closeSession: sid });
}
