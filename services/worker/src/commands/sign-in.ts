import { randomUUID } from 'node:crypto';
import type { UserRecord } from '@authgate/shared/db/users';
import type { Command } from '@authgate/shared/protocol';
import type { AuthMethod } from '@authgate/features/sessions/stores/sessions';
import { originOf } from '../audit.ts';
import type { HandlerOutcome } from '../context.ts';
import type { Drivers } from '../feature.ts';
import { mailSecurityNotice } from '../email/security-notice.ts';
import { newRefreshToken } from '../tokens.ts';
import { SIGN_IN_GATES, type SignInStep } from './sign-in-gates.ts';
import { tokenPair } from './token-pair.ts';

/**
 * What a sign-in reaches: the new session and its token pair, and every gate on the way (the verified
 * email, the second factor, the new device). A feature that signs people in declares these.
 */
export const SIGN_IN_NEEDS = [
  'audit',
  'log',
  'users',
  'sessions',
  'refreshTtlMs',
  'signer',
  'devices',
  'directory',
  'live',
  'mail',
  'mailLimits',
  'emailTokens',
  'requireVerifiedEmail',
  'mfa',
  'deviceLimits',
  'deviceVerification',
  'deviceVerifications',
] as const;
export type SignInDrivers = Drivers<(typeof SIGN_IN_NEEDS)[number]>;

/** A sign-in whose password was right: who, from which device, the command that asked, and how it was proven so far. */
export interface SignInAttempt {
  command: Command;
  user: UserRecord;
  deviceId: string | undefined;
  /** The methods proven so far (`pwd`, then `otp` once the second factor passed): the session's `amr`. */
  amr: AuthMethod[];
}

/**
 * The steps between a right password and a session, in order (sign-in-gates.ts). A flow that resumes
 * a stopped sign-in (the second factor's verify, a device's approval) passes the step it has just
 * cleared as `after`, so the steps before it are not asked again and the ones after it still are.
 */
export async function signIn(attempt: SignInAttempt, ctx: SignInDrivers, options: { after?: SignInStep } = {}): Promise<HandlerOutcome> {
  const from = options.after === undefined ? 0 : SIGN_IN_GATES.findIndex((gate) => gate.step === options.after) + 1;
  for (const gate of SIGN_IN_GATES.slice(from)) {
    if (gate.satisfiedBy?.some((method) => attempt.amr.includes(method))) continue;
    await gate.check(attempt, ctx);
  }
  return openSession(attempt, ctx);
}

/** Every gate passed: a new session, known to the directory and the account's sockets, and its token pair. */
async function openSession({ command, user, deviceId, amr }: SignInAttempt, ctx: SignInDrivers): Promise<HandlerOutcome> {
  const sid = randomUUID();
  const refresh = newRefreshToken(sid);
  const signedIn = { amr, authTime: Math.floor(Date.now() / 1000) };
  await ctx.sessions.create({ sid, userId: user.id, email: user.email, deviceId, refreshHash: refresh.hash, signedIn }, ctx.refreshTtlMs);
  // The device has now completed a sign-in: known from here on (the new-device gate).
  const standing = await ctx.devices.record(user.id, deviceId);
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
  // A device the account never signed in from (a login naming none counts as the device "none").
  if (standing === 'new') await mailSecurityNotice(ctx, 'new_sign_in', user, originOf(command));
  return { status: 200, data: await tokenPair(ctx, user, sid, refresh.token, signedIn) };
}
