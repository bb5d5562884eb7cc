import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { AppError } from '@authgate/shared/errors';
import type { Command } from '@authgate/shared/protocol';
import { originOf } from '@authgate/worker/audit';
import type { SignInAttempt, SignInDrivers } from '@authgate/worker/commands/sign-in';
import type { SignInGate } from '@authgate/worker/commands/sign-in-gates';

/** How long a new device's sign-in waits for an approval or its code (docs/rest.md: 10 minutes). */
export const DEVICE_VERIFICATION_TTL_S = 600;
/** Wrong emailed codes a waiting sign-in survives: the fifth ends it. */
export const DEVICE_CODE_TRIES = 5;
/** 192 random bits: above the contract's 128, and as long as an email token's base64url is short. */
const VERIFICATION_ID_BYTES = 24;
/** 256 random bits (the contract asks for 128 at least): the waiting client's proof that it is the one that logged in. */
const COMPLETE_TOKEN_BYTES = 32;

/**
 * The new-device step (docs/rest.md, "New devices"): an account that has completed a sign-in before,
 * signing in from a deviceId it never completed one from, is stopped with `device_verification_required`
 * until a session of the account approves (POST /auth/devices/approve) or the emailed code is given
 * (POST /auth/devices/verify). Once the account has completed a sign-in from a device it named, a
 * login that names none is stopped too (leaving deviceId out must not skip the check); it can be
 * approved, but never becomes known. DEVICE_VERIFICATION=off turns the step off.
 *
 * The answer carries the verificationId, which every session of the account is shown so as to
 * approve, and a completeToken that only this answer holds: only the waiting client can finish.
 */
export const newDeviceGate: SignInGate = {
  step: 'new_device',
  // A passkey proves possession of an authenticator the account registered: the device needs no approval.
  satisfiedBy: ['hwk'],
  async check(attempt, ctx) {
    if (!ctx.deviceVerification || !(await isNewDevice(attempt, ctx))) return;
    const { command, user, deviceId, amr } = attempt;

    const verificationId = randomBytes(VERIFICATION_ID_BYTES).toString('base64url');
    const completeToken = randomBytes(COMPLETE_TOKEN_BYTES).toString('base64url');
    // A uniform 6-digit code from the CSPRNG (randomInt rejects the modulo bias).
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const { ip, userAgent } = command.meta;
    const { nodeId, connectionId } = command.replyTo;
    await ctx.deviceVerifications.open(
      verificationId,
      completeToken,
      { userId: user.id, deviceId, ip, userAgent, waiting: connectionId ? { nodeId, connectionId } : undefined, amr },
      code,
      { ttlMs: DEVICE_VERIFICATION_TTL_S * 1000, tries: DEVICE_CODE_TRIES },
    );
    const notified = await mayNotify(ctx, command, user.id);
    if (notified) await notify(ctx, command, { userId: user.id, email: user.email, verificationId, code });
    ctx.audit.emit({ action: 'device.approval_requested', ...originOf(command), userId: user.id, deviceId, ...(notified ? {} : { reason: 'notices_capped' }) });
    throw new AppError('device_verification_required', 'this device must be approved by a signed-in session of the account, or with the emailed code', {
      challenge: { verificationId, completeToken, expiresIn: DEVICE_VERIFICATION_TTL_S, notified },
    });
  },
};

/** A deviceId the account never completed a sign-in from; or none, once the account has completed one from a device it named. */
async function isNewDevice({ user, deviceId }: SignInAttempt, ctx: SignInDrivers): Promise<boolean> {
  if (deviceId === undefined) return ctx.devices.hasNamedDevice(user.id);
  return (await ctx.devices.standing(user.id, deviceId)) === 'new';
}

/**
 * Past DEVICE_MAILS_PER_HOUR the sign-in still waits (the same answer, `notified: false`) but nobody
 * is told: no prompt, no mail. A limiter that does not answer lets the notice go: the cap guards the
 * owner's inbox, it must not stop sign-ins when Redis falters.
 */
async function mayNotify(ctx: SignInDrivers, command: Command, userId: string): Promise<boolean> {
  return ctx.deviceLimits.takeNotice(userId).catch((err: unknown) => {
    ctx.log.warn({ err, requestId: command.requestId }, 'device notice limiter unavailable; notifying');
    return true;
  });
}

/** Both ways to approve are offered: a live prompt and a mailed code. Losing one (Redis, the mail lane) must not stop the other. */
async function notify(ctx: SignInDrivers, command: Command, to: { userId: string; email: string; verificationId: string; code: string }) {
  const { ip, userAgent } = command.meta;
  const now = Date.now();
  const at = new Date(now).toISOString();
  await ctx.live
    .publish({ userId: to.userId, event: 'device.approval_requested', data: { verificationId: to.verificationId, ip, userAgent: userAgent ?? null, at } })
    .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'device approval request not published live'));
  await ctx.mail
    .publish({
      v: 1,
      id: randomUUID(),
      kind: 'device_code',
      to: to.email,
      createdAt: at,
      expiresAt: new Date(now + DEVICE_VERIFICATION_TTL_S * 1000).toISOString(),
      data: { code: to.code, ip, ...(userAgent ? { userAgent } : {}), at, expiresInMinutes: DEVICE_VERIFICATION_TTL_S / 60 },
    })
    .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'device code mail not queued'));
}
