import type { Drivers } from '../feature.ts';
import { endSession, type RevokeReason } from '@authgate/features/sessions/end-session';
import type { Command } from '@authgate/shared/protocol';
import { originOf } from '../audit.ts';

/**
 * Ends every session of the account (a reset: whoever held the old password is out) or every one but
 * `keep` (a change: the session that made it stays): refresh tokens, access tokens on every edge, and
 * `session.revoked` live to the account's sockets, whose own session's sockets are closed with 4001.
 */
export async function endSessionsOf(
  ctx: Drivers<'audit' | 'directory' | 'sessions' | 'revocations' | 'live'>,
  command: Command,
  userId: string,
  reason: RevokeReason,
  keep?: string,
): Promise<number> {
  const ending = (await ctx.directory.list(userId)).filter((session) => session.id !== keep);
  for (const session of ending) {
    await endSession(ctx, userId, session.id, reason);
    ctx.audit.emit({ action: 'session.revoked', ...originOf(command), userId, sessionId: session.id, reason });
  }
  return ending.length;
}
