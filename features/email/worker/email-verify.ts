import { AppError } from '@authgate/shared/errors';
import { emailVerifyBody } from '../contract.ts';
import { originOf } from '@authgate/worker/audit';
import type { Handler } from './drivers.ts';

/** POST /auth/email/verify: the token of a verification mail, once, within 24 h, marks the address verified. */
export const emailVerify: Handler = async (command, ctx) => {
  const { token } = emailVerifyBody.parse(command.body);
  const userId = await ctx.emailTokens.use(token, 'verify_email', async (trx, owner) => {
    await ctx.users.markEmailVerified(owner, trx);
    // The address is proven: the other verification links of the account are of no more use.
    await ctx.emailTokens.retireAll(trx, owner, 'verify_email');
  });
  if (!userId) throw new AppError('invalid_token', 'the verification link is invalid, expired or already used');
  ctx.audit.emit({ action: 'email.verified', ...originOf(command), userId });
  return { status: 204 };
};
