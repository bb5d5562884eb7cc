import { AppError } from '@authgate/shared/errors';
import type { Decision, PendingSignIn } from '@authgate/features/devices/stores/verifications';
import type { Command } from '@authgate/shared/protocol';
import { deviceCompleteBody, deviceDecisionBody, deviceVerifyBody } from '../contract.ts';
import { originOf } from '@authgate/worker/audit';
import type { HandlerOutcome } from '@authgate/worker/context';
import type { Ctx, Handler } from './drivers.ts';
import { signIn } from '@authgate/worker/commands/sign-in';

/**
 * The answers to a new device's sign-in (docs/rest.md, "New devices"): a session of the account
 * approves or denies it; the waiting client then completes it, or gives the emailed code instead.
 * Either way the stopped sign-in resumes after its new-device step. Approving lets no one but the
 * waiting client in: the approver holds the verificationId, not its completeToken.
 */

const noSuchVerification = () => new AppError('not_found', 'no sign-in waits for this verification (unknown, expired, or already completed)');

function decide(decision: Decision): Handler {
  return async (command, ctx) => {
    const auth = command.meta.auth;
    if (!auth) throw new AppError('invalid_token', 'this request needs an access token');
    const { verificationId } = deviceDecisionBody.parse(command.body);
    const decided = await ctx.deviceVerifications.decide(verificationId, auth.sub, decision);
    // Another account's verification is not told apart from one that does not exist.
    if (decided.outcome === 'missing') throw noSuchVerification();
    // `unchanged`: the same decision again (a retried request) changes nothing and tells no one again.
    if (decided.outcome === 'decided') {
      const event = decision === 'approved' ? 'device.approved' : 'device.denied';
      await announce(ctx, command, event, verificationId, decided.signIn);
      ctx.audit.emit({ action: event, ...originOf(command), userId: auth.sub, sessionId: auth.sid, deviceId: decided.signIn.deviceId });
    }
    return { status: 204 };
  };
}

export const deviceApprove = decide('approved');
export const deviceDeny = decide('denied');

/**
 * Only the waiting client finishes: `complete` and `verify` need the completeToken of its
 * `device_verification_required` answer, which no approver, event or mail ever sees. Missing or wrong,
 * the request is answered as for an unknown verification (`not_found`), so that it tells nothing of
 * whether the verification exists, and it spends none of its code's tries.
 */
export const deviceComplete: Handler = async (command, ctx) => {
  const { verificationId, completeToken = '' } = deviceCompleteBody.parse(command.body);
  const completed = await ctx.deviceVerifications.complete(verificationId, completeToken, command.requestId);
  if (completed.outcome === 'pending') throw new AppError('device_verification_pending', 'this sign-in has not been approved yet');
  if (completed.outcome === 'denied') throw new AppError('device_denied', 'this sign-in was denied by the account');
  if (completed.outcome === 'missing') throw noSuchVerification();
  return resume(command, ctx, completed.signIn);
};

/**
 * The emailed code. Each attempt is counted against the account's and the address's wrong-code limits
 * before the code is checked (DeviceLimits.codes, as for the second factor), so concurrent guesses
 * cannot slip past them; a right code gives its points back, as does an attempt that checked no code.
 */
export const deviceVerify: Handler = async (command, ctx) => {
  const { verificationId, completeToken = '', code } = deviceVerifyBody.parse(command.body);
  const userId = await ctx.deviceVerifications.accountOf(verificationId, completeToken);
  if (userId === undefined) throw noSuchVerification();
  const { ip } = command.meta;
  const limiter = ctx.deviceLimits.codes;
  await limiter.admit(userId, ip);
  const verified = await ctx.deviceVerifications.verifyCode(verificationId, completeToken, code, command.requestId);
  if (verified.outcome !== 'wrong')
    await limiter.succeeded(userId, ip).catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'device code limiter not rewarded'));
  if (verified.outcome === 'denied') throw new AppError('device_denied', 'this sign-in was denied by the account');
  if (verified.outcome === 'missing') throw noSuchVerification();
  if (verified.outcome === 'wrong') {
    ctx.audit.emit({ action: 'device.code_rejected', ...originOf(command), userId: verified.userId, reason: 'invalid_device_code' });
    const left = verified.triesLeft;
    throw new AppError(
      'invalid_code',
      left > 0 ? `the code is wrong (${left} ${left === 1 ? 'try' : 'tries'} left)` : 'the code is wrong; this sign-in has ended',
    );
  }
  const { signIn: waiting } = verified;
  ctx.audit.emit({ action: 'device.code_verified', ...originOf(command), userId: waiting.userId, deviceId: waiting.deviceId, reason: 'emailed_code' });
  await announce(ctx, command, 'device.approved', verificationId, waiting);
  return resume(command, ctx, waiting);
};

/** The sign-in goes on after its new-device step, for the account as it is now (it may have been disabled meanwhile). */
async function resume(command: Command, ctx: Ctx, waiting: PendingSignIn): Promise<HandlerOutcome> {
  const user = await ctx.users.findById(waiting.userId);
  if (!user) throw noSuchVerification();
  if (user.disabledAt) throw new AppError('account_disabled', 'this account is disabled');
  return signIn({ command, user, deviceId: waiting.deviceId, amr: waiting.amr ?? ['pwd'] }, ctx, { after: 'new_device' });
}

/**
 * The decision, live: to the connection that made the waiting login (it is not signed in yet, so it is
 * addressed by its connection), and to the account's sockets, where the request may still be on show.
 */
async function announce(ctx: Ctx, command: Command, event: 'device.approved' | 'device.denied', verificationId: string, waiting: PendingSignIn) {
  const warn = (err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'device decision not published live');
  const data = { verificationId };
  if (waiting.waiting)
    await ctx.live.publishToConnection(waiting.waiting.nodeId, waiting.waiting.connectionId, { userId: waiting.userId, event, data }).catch(warn);
  await ctx.live.publish({ userId: waiting.userId, event, data }).catch(warn);
}
