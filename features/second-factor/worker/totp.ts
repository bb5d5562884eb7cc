import { Secret, TOTP } from 'otpauth';

/**
 * TOTP as docs/rest.md fixes it (RFC 6238: SHA-1, 6 digits, 30 s steps, one step of drift either way),
 * by otpauth: one small dependency (@noble/hashes), maintained, and its `validate` tells which step a
 * code matched, which the replay rule needs. otplib 13 would do as well but comes as six packages.
 */
export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
/** Codes of the step before and after now's are accepted too: a phone's clock may be that far off. */
export const TOTP_DRIFT_STEPS = 1;
/** 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends. */
const SECRET_BYTES = 20;
const ISSUER = 'authgate';
const CODE_SHAPE = /^\d{6}$/;

/** A new random secret, base32 (what authenticator apps take). */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

function totpOf(secretBase32: string, label = 'account'): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** The `otpauth://totp/...` URI an authenticator app scans as a QR code. */
export function otpauthUrl(secretBase32: string, accountName: string): string {
  return totpOf(secretBase32, accountName).toString();
}

/** The 30 s step `atMs` falls in (RFC 6238's T). */
export function stepAt(atMs: number): number {
  return Math.floor(atMs / 1000 / TOTP_PERIOD_S);
}

/**
 * The step whose code `code` is, if it is the code of now's step or of one step either side; else
 * undefined. A malformed code is refused before any HMAC is computed. Whether the step was already
 * used (a replay) is the caller's check: the step is returned for it.
 */
export function matchingStep(secretBase32: string, code: string, nowMs: number): number | undefined {
  if (!CODE_SHAPE.test(code)) return undefined;
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: nowMs, window: TOTP_DRIFT_STEPS });
  return delta === null ? undefined : stepAt(nowMs) + delta;
}

/** The code of the step `atMs` falls in (enrolment tests and clients; the server only checks codes). */
export function codeAt(secretBase32: string, atMs: number): string {
  return totpOf(secretBase32).generate({ timestamp: atMs });
}
