import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { AppError } from '@authgate/shared/errors';
import { originOf } from '../audit.ts';
import type { SignInGate } from './sign-in-gates.ts';

/** How long a new device's sign-in waits for an approval or its code (docs/rest.md: 10 minutes). */
export const DEVICE_VERIFICATION_TTL_S = 600;
/** Wrong emailed codes a waiting sign-in survives: the fifth ends it. */
export const DEVICE_CODE_TRIES = 5;
/** 192 random bits: above the contract's 128, and as long as an email token's base64url is short. */
const VERIFICATION_ID_BYTES = 24;

/**
 * The new-device step (docs/rest.md, "New devices"): an account that has completed a sign-in before,
 * signing in from a deviceId it never completed one from, is stopped with `device_verification_required`
 * until a session of the account approves (POST /auth/devices/approve) or the emailed code is given
 * (POST /auth/devices/verify). A login that names no deviceId is let through: there is nothing to
 * recognise that device by next time, so no approval could ever make it known (README, "New-device
 * approval"). DEVICE_VERIFICATION=off turns the step off.
 */
export const newDeviceGate: SignInGate = {
  step: 'new_device',
  async check({ command, user, deviceId }, ctx) {
    if (!ctx.deviceVerification || deviceId === undefined) return;
    if ((await ctx.devices.standing(user.id, deviceId)) !== 'new') return;

    const verificationId = randomBytes(VERIFICATION_ID_BYTES).toString('base64url');
    // A uniform 6-digit code from the CSPRNG (randomInt rejects the modulo bias).
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const { ip, userAgent } = command.meta;
    const { nodeId, connectionId } = command.replyTo;
    await ctx.deviceVerifications.open(
      verificationId,
      { userId: user.id, deviceId, ip, userAgent, waiting: connectionId ? { nodeId, connectionId } : undefined },
      code,
      { ttlMs: DEVICE_VERIFICATION_TTL_S * 1000, tries: DEVICE_CODE_TRIES },
    );
    const now = Date.now();
    const at = new Date(now).toISOString();
    // Both ways to approve are offered; losing one (Redis, the mail lane) must not stop the other.
    await ctx.live
      .publish({ userId: user.id, event: 'device.approval_requested', data: { verificationId, ip, userAgent: userAgent ?? null, at } })
      .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'device approval request not published live'));
    await ctx.mail
      .publish({
        v: 1,
        id: randomUUID(),
        kind: 'device_code',
        to: user.email,
        createdAt: at,
        expiresAt: new Date(now + DEVICE_VERIFICATION_TTL_S * 1000).toISOString(),
        data: { code, ip, ...(userAgent ? { userAgent } : {}), at, expiresInMinutes: DEVICE_VERIFICATION_TTL_S / 60 },
      })
      .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'device code mail not queued'));
    ctx.audit.emit({ action: 'device.approval_requested', ...originOf(command), userId: user.id, deviceId });
    throw new AppError('device_verification_required', 'this device must be approved by a signed-in session of the account, or with the emailed code', {
      challenge: { verificationId, expiresIn: DEVICE_VERIFICATION_TTL_S },
    });
  },
};
