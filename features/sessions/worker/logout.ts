import { AppError } from '@authgate/shared/errors';
import { logoutBody } from '../contract.ts';
import { endSession } from '@authgate/features/sessions/end-session';
import type { Handler } from './drivers.ts';
import { parseRefreshToken } from '@authgate/worker/tokens';
import { revokeFamily } from '@authgate/worker/commands/revoke-family';
import { originOf } from '@authgate/worker/audit';

const invalid = () => new AppError('invalid_token', 'refresh token is invalid or expired');

export const logout: Handler = async (command, ctx) => {
  const { refreshToken } = logoutBody.parse(command.body);
  const presented = parseRefreshToken(refreshToken);
  const audit = originOf(command);
  const outcome = presented ? await ctx.sessions.revoke(presented.sid, presented.hash) : { status: 'unknown' as const };
  if (outcome.status === 'reused') {
    // A replaced token used to log out is a replay like any other: the family is gone, and it is told.
    await revokeFamily(ctx, presented!.sid, outcome.userId, audit);
    throw invalid();
  }
  if (outcome.status !== 'revoked') {
    ctx.audit.emit({ ...audit, action: 'logout.rejected', ...(presented ? { sessionId: presented.sid } : {}) });
    throw invalid();
  }
  // Every edge stops accepting the session's access tokens now, not at their exp, and the account's
  // live sockets hear of it.
  await endSession(ctx, outcome.userId, presented!.sid, 'logout', { refreshEnded: true });
  ctx.audit.emit({ ...audit, action: 'logout.succeeded', userId: outcome.userId, sessionId: presented!.sid });
  return { status: 204 };
};
