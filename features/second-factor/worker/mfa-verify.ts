import { AppError } from '@authgate/shared/errors';
import { MFA_TOKEN_MAX_ATTEMPTS, mfaTokenDigest } from '@authgate/features/second-factor/stores/challenges';
import { mfaVerifyBody } from '../contract.ts';
import type { Handler } from './drivers.ts';
import { checkSecondFactor } from '@authgate/features/second-factor/worker/second-factor';
import { signIn } from '@authgate/worker/commands/sign-in';

const deadToken = () => new AppError('invalid_token', 'the mfaToken is invalid, expired, used, or out of attempts: sign in again');

/**
 * The second step of a sign-in stopped by `mfa_required`. Checks made, in order: the mfaToken names a
 * live challenge (its attempt is counted first, atomically: at most MFA_TOKEN_MAX_ATTEMPTS, even
 * concurrent); the code limits of the account and address; the code itself (second-factor.ts); the
 * token is taken, once; the account still exists and is not disabled. Then the sign-in resumes after
 * the second factor, so the steps after it (a new device) still run.
 */
export const mfaVerify: Handler = async (command, ctx) => {
  const body = mfaVerifyBody.parse(command.body);
  const digest = mfaTokenDigest(body.mfaToken);
  const challenge = digest === undefined ? undefined : await ctx.mfa.challenges.attempt(digest, MFA_TOKEN_MAX_ATTEMPTS);
  if (!digest || !challenge) throw deadToken();
  try {
    await checkSecondFactor(ctx, command, challenge.userId, body.code !== undefined ? { code: body.code } : { recoveryCode: body.recoveryCode! });
  } catch (err) {
    // The last allowed wrong code ends the token at once, rather than at the next attempt.
    if (err instanceof AppError && err.code === 'invalid_code' && challenge.attempt >= MFA_TOKEN_MAX_ATTEMPTS) await ctx.mfa.challenges.take(digest);
    throw err;
  }
  if (!(await ctx.mfa.challenges.take(digest))) throw deadToken();
  const user = await ctx.users.findById(challenge.userId);
  if (!user) throw deadToken();
  if (user.disabledAt) throw new AppError('account_disabled', 'this account is disabled');
  return signIn({ command, user, deviceId: challenge.deviceId, amr: ['pwd', 'otp'] }, ctx, { after: 'second_factor' });
};
