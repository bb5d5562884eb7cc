import { AppError } from '@authgate/shared/errors';
import { refreshBody } from '../contract.ts';
import { openSuccessor, sealSuccessor } from '@authgate/features/sessions/stores/successor';
import { AlreadyAnswered } from '@authgate/worker/already-answered';
import type { Handler } from './drivers.ts';
import { newRefreshToken, parseRefreshToken } from '@authgate/worker/tokens';
import { revokeFamily } from '@authgate/worker/commands/revoke-family';
import { tokenPair } from '@authgate/worker/commands/token-pair';
import { originOf } from '@authgate/worker/audit';

const invalid = () => new AppError('invalid_token', 'refresh token is invalid or expired');

/**
 * Single-use rotation, decided in one atomic store step. The successor token is made first so that
 * it can be kept, sealed under the presented token, for the grace window: a concurrent refresh of the
 * same token, while that successor is unused, gets this very token back, for every session (where the
 * session has a device, only a refresh naming that device).
 * Every other presentation of a replaced token revokes the whole family (docs/rest.md, token pair).
 */
export const refresh: Handler = async (command, ctx) => {
  const { refreshToken, deviceId } = refreshBody.parse(command.body);
  const presented = parseRefreshToken(refreshToken);
  const audit = originOf(command);
  if (!presented) {
    ctx.audit.emit({ ...audit, action: 'refresh.rejected', reason: 'malformed' });
    throw invalid();
  }
  const { sid } = presented;
  const next = newRefreshToken(sid);
  const successor = ctx.refreshGraceMs > 0 ? { sealed: sealSuccessor(refreshToken, sid, next.token), graceMs: ctx.refreshGraceMs } : undefined;
  const outcome = await ctx.sessions.rotate({
    sid,
    presentedHash: presented.hash,
    nextHash: next.hash,
    ttlMs: ctx.refreshTtlMs,
    deviceId,
    successor,
    requestId: command.requestId,
  });
  switch (outcome.status) {
    case 'rotated': {
      const now = Date.now();
      ctx.audit.emit({ ...audit, action: 'refresh.succeeded', userId: outcome.userId, sessionId: sid });
      // The sessions list learns the new end in the next batch: the rotation stays this refresh's one Redis step.
      ctx.extensions.extended(outcome.userId, sid, now + ctx.refreshTtlMs, now);
      return { status: 200, data: await tokenPair(ctx, { id: outcome.userId, email: outcome.email }, sid, next.token, outcome.signedIn) };
    }
    case 'grace': {
      const same = openSuccessor(refreshToken, sid, outcome.sealed);
      if (!same) throw invalid();
      ctx.audit.emit({ ...audit, action: 'refresh.concurrent', userId: outcome.userId, sessionId: sid });
      return { status: 200, data: await tokenPair(ctx, { id: outcome.userId, email: outcome.email }, sid, same, outcome.signedIn) };
    }
    case 'duplicate':
      throw new AlreadyAnswered();
    case 'reused':
      await revokeFamily(ctx, sid, outcome.userId, audit);
      throw invalid();
    case 'unknown':
      ctx.audit.emit({ ...audit, action: 'refresh.rejected', sessionId: sid, reason: 'unknown' });
      throw invalid();
  }
};
