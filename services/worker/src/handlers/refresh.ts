import { AppError, refreshBody } from '@authgate/shared';
import type { CommandHandler } from '../context.ts';
import { newRefreshToken, parseRefreshToken } from '../tokens.ts';
import { tokenPair } from './token-pair.ts';

export const refresh: CommandHandler = async (command, ctx) => {
  const { refreshToken } = refreshBody.parse(command.body);
  const presented = parseRefreshToken(refreshToken);
  const audit = { requestId: command.requestId, ip: command.meta.ip };
  if (!presented) {
    ctx.audit.emit({ ...audit, action: 'refresh.rejected', reason: 'malformed' });
    throw new AppError('invalid_token', 'refresh token is invalid or expired');
  }
  const next = newRefreshToken(presented.sid);
  const outcome = await ctx.sessions.rotate(presented.sid, presented.hash, next.hash, ctx.refreshTtlMs);
  if (outcome.status === 'reused') {
    // A replaced token came back: someone holds a copy. The whole family is revoked.
    ctx.audit.emit({ ...audit, action: 'refresh.reuse_detected', userId: outcome.userId, sessionId: presented.sid });
    throw new AppError('invalid_token', 'refresh token is invalid or expired');
  }
  if (outcome.status === 'unknown') {
    ctx.audit.emit({ ...audit, action: 'refresh.rejected', sessionId: presented.sid, reason: 'unknown' });
    throw new AppError('invalid_token', 'refresh token is invalid or expired');
  }
  ctx.audit.emit({ ...audit, action: 'refresh.succeeded', userId: outcome.userId, sessionId: presented.sid });
  return { status: 200, data: await tokenPair(ctx, { id: outcome.userId, email: outcome.email }, presented.sid, next.token) };
};
