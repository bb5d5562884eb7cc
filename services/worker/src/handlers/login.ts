import { randomUUID } from 'node:crypto';
import { AppError } from '@authgate/shared/errors';
import { loginBody } from '@authgate/shared/protocol';
import type { CommandHandler } from '../context.ts';
import { newRefreshToken } from '../tokens.ts';
import { tokenPair } from './token-pair.ts';
import { originOf } from '../audit.ts';

export const login: CommandHandler = async (command, ctx) => {
  const { email, password, deviceId } = loginBody.parse(command.body);
  const user = await ctx.users.findByEmail(email).catch(async (err: unknown) => {
    // The database is away and no password was compared: the attempt the edge counted is given back.
    await ctx.loginLimiter.refund(email, command.meta.ip, deviceId).catch(() => {});
    throw err;
  });
  // Unknown email and wrong password take the same path: one bcrypt compare, one answer. The edge
  // counted this attempt against the brute-force limits before publishing it; only a success is told.
  if (!(await ctx.hasher.verify(password, user?.passwordHash)) || !user) {
    ctx.audit.emit({ action: 'login.failed', ...originOf(command), deviceId, ...(user ? { userId: user.id } : {}) });
    throw new AppError('invalid_credentials', 'email or password is incorrect');
  }
  // Told only after the right password, so that a disabled account is not revealed to guessers.
  if (user.disabledAt) {
    ctx.audit.emit({ action: 'login.failed', ...originOf(command), userId: user.id, reason: 'account_disabled' });
    throw new AppError('account_disabled', 'this account is disabled');
  }
  // The device (if named) is trusted from now on: its attempts get their own budget (finding 4).
  await ctx.loginLimiter.succeeded(email, command.meta.ip, deviceId).catch((err: unknown) => {
    ctx.log.warn({ err, requestId: command.requestId }, 'login limiter not reset after a success');
  });
  // The configured cost rose since this hash was made: re-hash while the password is at hand.
  if (ctx.hasher.needsRehash(user.passwordHash)) {
    await ctx.users.updatePasswordHash(user.id, await ctx.hasher.hash(password));
    ctx.log.info({ userId: user.id, cost: ctx.hasher.cost }, 'password re-hashed at the configured cost');
  }
  const sid = randomUUID();
  const refresh = newRefreshToken(sid);
  await ctx.sessions.create({ sid, userId: user.id, email: user.email, deviceId, refreshHash: refresh.hash }, ctx.refreshTtlMs);
  const now = Date.now();
  const { ip, userAgent } = command.meta;
  await ctx.directory.add(user.id, { id: sid, deviceId, userAgent, ip, createdAt: now, lastUsedAt: now, expiresAt: now + ctx.refreshTtlMs });
  // The account's other open sockets learn of the new sign-in; a failure here must not fail the login.
  await ctx.live
    .publish({
      userId: user.id,
      event: 'security.new_sign_in',
      data: { sessionId: sid, ip, userAgent: userAgent ?? null, deviceId: deviceId ?? null, at: new Date(now).toISOString() },
    })
    .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'new sign-in event not published'));
  ctx.audit.emit({ action: 'login.succeeded', ...originOf(command), userId: user.id, sessionId: sid, deviceId });
  return { status: 200, data: await tokenPair(ctx, user, sid, refresh.token) };
};
