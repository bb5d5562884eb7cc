import type { Drivers } from '../feature.ts';
import type { UserRecord } from '@authgate/shared/db/users';
import { AppError } from '@authgate/shared/errors';
import type { Command } from '@authgate/shared/protocol';
import { originOf } from '../audit.ts';
import { authOf } from './auth-of.ts';

/**
 * The current password of a signed-in account, checked as a login checks it (a stolen access token
 * must not become an unlimited password oracle):
 *
 * 1. the attempt is counted on the login brute-force limits of `/auth/login` before any bcrypt: the
 *    (account, IP) pair with its growing lockout, and the account-wide budget, keyed by the account's
 *    email exactly as the edge keys a login (the edge only knows `auth.sub`, the worker knows the
 *    email). Past either, `429 rate_limited` with the seconds to wait;
 * 2. one bcrypt compare;
 * 3. wrong: a `password.check_failed` audit event (`reason`: the command's kind) and `401 invalid_credentials`;
 *    the attempt stays counted. Right: the pair's failures start over and the point is given back,
 *    as after a login.
 *
 * Always the account-wide budget, never a trusted device's: a session's device is where a stolen token
 * would come from, and guesses through every route of an account then share the one budget that
 * anonymous logins also spend.
 */
export async function checkAccountPassword(
  ctx: Drivers<'audit' | 'hasher' | 'log' | 'loginLimiter'>,
  command: Command,
  user: UserRecord,
  password: string,
): Promise<void> {
  const { ip } = command.meta;
  await ctx.loginLimiter.admit(user.email, ip);
  let matches: boolean;
  try {
    matches = await ctx.hasher.verify(password, user.passwordHash);
  } catch (err) {
    // No password was compared: the attempt is given back, as the login handler does.
    await ctx.loginLimiter.refund(user.email, ip).catch(() => {});
    throw err;
  }
  if (!matches) {
    ctx.audit.emit({ action: 'password.check_failed', ...originOf(command), userId: user.id, sessionId: authOf(command).sid, reason: command.kind });
    throw new AppError('invalid_credentials', 'the password is incorrect');
  }
  await ctx.loginLimiter.succeeded(user.email, ip).catch((err: unknown) => {
    ctx.log.warn({ err, requestId: command.requestId }, 'login limiter not reset after a right password');
  });
}
