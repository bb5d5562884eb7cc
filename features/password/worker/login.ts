import { AppError } from '@authgate/shared/errors';
import { loginBody } from '../contract.ts';
import type { Handler } from './drivers.ts';
import { signIn } from '@authgate/worker/commands/sign-in';
import { originOf } from '@authgate/worker/audit';

export const login: Handler = async (command, ctx) => {
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
    ctx.stuffing.loginFailed(command.meta.ip);
    throw new AppError('invalid_credentials', 'email or password is incorrect');
  }
  // Told only after the right password, so that a disabled account is not revealed to guessers.
  if (user.disabledAt) {
    ctx.audit.emit({ action: 'login.failed', ...originOf(command), userId: user.id, reason: 'account_disabled' });
    throw new AppError('account_disabled', 'this account is disabled');
  }
  // The device (if named) is trusted from now on: its attempts get their own budget, so failures
  // from everywhere else cannot lock the owner out of it.
  await ctx.loginLimiter.succeeded(email, command.meta.ip, deviceId).catch((err: unknown) => {
    ctx.log.warn({ err, requestId: command.requestId }, 'login limiter not reset after a success');
  });
  // The configured cost rose since this hash was made: re-hash while the password is at hand.
  if (ctx.hasher.needsRehash(user.passwordHash)) {
    await ctx.users.updatePasswordHash(user.id, await ctx.hasher.hash(password));
    ctx.log.info({ userId: user.id, cost: ctx.hasher.cost }, 'password re-hashed at the configured cost');
  }
  return signIn({ command, user, deviceId, amr: ['pwd'] }, ctx);
};
