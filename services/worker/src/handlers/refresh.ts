import { AppError } from '@authgate/shared/errors';
import { refreshBody } from '@authgate/shared/protocol';
import type { CommandHandler } from '../context.ts';
import { endSession } from '@authgate/shared/sessions/end-session';
import { openSuccessor, sealSuccessor } from '@authgate/shared/sessions/successor';
import { newRefreshToken, parseRefreshToken } from '../tokens.ts';
import { tokenPair } from './token-pair.ts';

const invalid = () => new AppError('invalid_token', 'refresh token is invalid or expired');

/**
 * Single-use rotation. The successor pair is made before the atomic rotation so that it can be kept,
 * sealed under the presented token, for the grace window: a concurrent refresh of the same token then
 * gets this very pair. A replaced token presented after the window revokes the whole session.
 */
export const refresh: CommandHandler = async (command, ctx) => {
  const { refreshToken } = refreshBody.parse(command.body);
  const presented = parseRefreshToken(refreshToken);
  const audit = { requestId: command.requestId, ip: command.meta.ip };
  if (!presented) {
    ctx.audit.emit({ ...audit, action: 'refresh.rejected', reason: 'malformed' });
    throw invalid();
  }
  const { sid } = presented;
  const owner = await ctx.sessions.peek(sid);
  if (!owner) {
    ctx.audit.emit({ ...audit, action: 'refresh.rejected', sessionId: sid, reason: 'unknown' });
    throw invalid();
  }
  const next = newRefreshToken(sid);
  const pair = await tokenPair(ctx, { id: owner.userId, email: owner.email }, sid, next.token);
  const grace = ctx.refreshGraceMs > 0 ? { sealed: sealSuccessor(refreshToken, sid, pair), graceMs: ctx.refreshGraceMs } : undefined;
  const outcome = await ctx.sessions.rotate(sid, presented.hash, next.hash, ctx.refreshTtlMs, grace);
  switch (outcome.status) {
    case 'rotated': {
      const now = Date.now();
      await ctx.directory.extend(outcome.userId, sid, now + ctx.refreshTtlMs, now);
      ctx.audit.emit({ ...audit, action: 'refresh.succeeded', userId: outcome.userId, sessionId: sid });
      return { status: 200, data: pair };
    }
    case 'grace': {
      const same = openSuccessor(refreshToken, sid, outcome.sealed);
      if (!same) throw invalid();
      ctx.audit.emit({ ...audit, action: 'refresh.concurrent', userId: outcome.userId, sessionId: sid });
      return { status: 200, data: same };
    }
    case 'reused':
      // A replaced token came back after the grace window: someone holds a copy. The whole family is
      // revoked, and every edge refuses the session's access tokens from now on.
      await ctx.live.publish({ userId: outcome.userId, event: 'security.refresh_reuse', data: { sessionId: sid, ip: command.meta.ip, at: new Date().toISOString() } });
      await endSession(ctx, outcome.userId, sid, 'refresh_reuse', { refreshEnded: true });
      ctx.audit.emit({ ...audit, action: 'refresh.reuse_detected', userId: outcome.userId, sessionId: sid });
      throw invalid();
    case 'unknown':
      ctx.audit.emit({ ...audit, action: 'refresh.rejected', sessionId: sid, reason: 'unknown' });
      throw invalid();
  }
};
