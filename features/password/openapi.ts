import { z } from 'zod';
import type { OpenApiHelpers } from '../feature.ts';

type Schema = Record<string, unknown>;

const registeredAnswer = z.object({ userId: z.uuid() });

/** The feature's routes as OpenAPI path items (docs/rest.md is their prose). */
export default function passwordPaths(h: OpenApiHelpers): Record<string, Schema> {
  const { error } = h;
  const common = { 413: h.commonErrors[413], 429: h.commonErrors[429], 503: h.commonErrors[503], 504: h.commonErrors[504], 400: h.commonErrors[400] };
  const post = (kind: string, summary: string, description: string, responses: Record<number, unknown>, bearerAuth = false) => ({
    post: {
      tags: ['auth'],
      summary,
      description,
      operationId: `edge_${kind}`,
      ...(bearerAuth ? { security: h.bearer } : {}),
      requestBody: h.requestBody(kind),
      responses: { ...common, ...responses },
    },
  });
  return {
    '/auth/register': h.openCommand('register', {
      summary: 'Create an account',
      success: { 201: h.json(registeredAnswer, 'Created') },
      errors: {
        400: error('`invalid_request` (body, or a password over 72 bytes) or `weak_password` (under 8 characters, or common/guessable)'),
        409: error('`email_taken`'),
        429: error(
          '`rate_limited`: too many requests from this IP, or PASSWORD_WORK_PER_SOURCE register/login requests already in flight from this address (docs/shared-addresses.md); `Retry-After`',
        ),
      },
    }),
    '/auth/login': h.openCommand('login', {
      summary: 'Log in: a token pair',
      success: { 200: h.json(h.tokenPair, 'Logged in') },
      errors: {
        401: error('`invalid_credentials`: alike for an unknown email and a wrong password'),
        403: error(
          '`mfa_required`: the password was right and the account has TOTP on; the error also holds `mfaToken` (5 minutes, 5 codes, once), `methods` ["totp","recovery"], `expiresIn` and `maxAttempts`: go on with POST /auth/mfa/verify; or `device_verification_required`: a new device of an account that has signed in before (or no deviceId, once the account has signed in from a device), the error also holds `verificationId`, `completeToken` (this answer only: send it to complete or verify), `expiresIn` and `notified` (false: the hourly DEVICE_MAILS_PER_HOUR was used up, no prompt or mail went out) (docs/rest.md, New devices); or `account_disabled`; or `challenge_required`: the deployment sees credential stuffing and this login comes from no known device of the account, before any password work; the error also holds `challenge` {algorithm: "sha256", salt, difficulty, expiresAt}: find `nonce` such that SHA-256(salt + nonce) begins with `difficulty` zero bits and send the login again with `challenge` {salt, nonce} (features/stuffing/docs.md)',
        ),
        429: error(
          '`rate_limited`: this IP, this account, or this (account, IP) pair is over its limit, or PASSWORD_WORK_PER_SOURCE register/login requests are already in flight from this address (docs/shared-addresses.md); `Retry-After`',
        ),
      },
    }),
    '/auth/password/forgot': post(
      'password_forgot',
      'Ask for a password reset mail',
      'Served by the edge, which answers 202 (no body) at once, before the command is published: alike for known and unknown addresses in status, body and time. A worker then mails a reset link (30 minutes, single use) to a known address.',
      { 202: { description: 'Accepted (whether or not the address has an account)' } },
    ),
    '/auth/password/reset': post(
      'password_reset',
      'Set a new password with the token of a reset mail',
      "Served by the edge, answered by a worker. The registration's password policy applies. Every session of the account is revoked; its sockets receive `session.revoked` and are closed with 4001.",
      {
        204: { description: 'The password is changed; every session ended' },
        400: error('`invalid_request` or `weak_password`'),
        401: error('`invalid_token`: unknown, expired, used or malformed'),
      },
    ),
    '/auth/password/change': post(
      'password_change',
      'Change the password with the current one',
      "Served by the edge, answered by a worker. The check of the current password counts against the login limits of POST /auth/login. Every other session of the account is revoked, and every sign-in waiting for a second factor or a new device's approval; the account's sockets receive `password.changed`; a notice is mailed.",
      {
        204: { description: 'The password is changed; every other session ended' },
        400: error('`invalid_request` or `weak_password`'),
        401: error('`invalid_credentials` (wrong current password) or `invalid_token`'),
        429: error('`rate_limited`: the login limits of the account (per address, or account-wide); `Retry-After`'),
      },
      true,
    ),
  };
}
