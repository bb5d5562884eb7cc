import { z } from 'zod';
import type { OpenApiHelpers } from '../feature.ts';

type Schema = Record<string, unknown>;

/** POST /auth/mfa/totp/setup. */
const totpSetupAnswer = z.object({
  secret: z.string().describe('Base32 TOTP secret (SHA-1, 6 digits, 30 s): for an authenticator app; shown this once'),
  otpauthUrl: z.string().describe('otpauth://totp/... URI of the same secret, to show as a QR code'),
});

/** POST /auth/mfa/totp/confirm. */
const recoveryCodesAnswer = z.object({
  recoveryCodes: z.array(z.string()).length(10).describe('Ten single-use codes (xxxx-xxxx-xxxx-xxxx), shown this once; stored only as digests'),
});

/** The feature's routes as OpenAPI path items (docs/rest.md is their prose). */
export default function secondFactorPaths(h: OpenApiHelpers): Record<string, Schema> {
  const { error } = h;
  const common = { 401: error('`invalid_token`'), 429: error('`rate_limited`'), 503: error('`overloaded`'), 504: error('`timeout`') };
  const route = (kind: string, summary: string, description: string, responses: Record<number, unknown>) => ({
    post: {
      tags: ['second factor'],
      summary,
      description: `Served by the edge, answered by a worker. ${description}`,
      operationId: `edge_${kind}`,
      security: h.bearer,
      requestBody: h.requestBody(kind),
      responses: { ...common, 400: error('`invalid_request`'), ...responses },
    },
  });
  return {
    '/auth/mfa/verify': h.openCommand('mfa_verify', {
      summary: 'Second step of a login with TOTP: a token pair',
      success: { 200: h.json(h.tokenPair, 'Logged in') },
      errors: {
        401: error(
          '`invalid_code`: wrong, outside ±1 step, already used, or a spent recovery code; `invalid_token`: the mfaToken is unknown, expired, used, or had its 5 codes',
        ),
        403: error('`account_disabled`, or a later step of the sign-in (`device_verification_required`)'),
        429: error('`rate_limited`: too many wrong codes for this account or from this IP (MFA_*_MAX_FAILURES); `Retry-After`'),
      },
    }),
    '/auth/mfa/totp/setup': route(
      'mfa_totp_setup',
      'Start TOTP enrolment: a new secret',
      'The current password first (an access token alone cannot turn TOTP on); its check counts against the login limits of POST /auth/login. The secret is pending (TOTP is not on) until POST /auth/mfa/totp/confirm; a second setup replaces a pending secret.',
      {
        200: h.json(totpSetupAnswer, 'The pending secret'),
        401: error('`invalid_credentials`: wrong password; or `invalid_token`'),
        409: error('`mfa_already_enabled`: TOTP is already on'),
        415: error('`unsupported_media_type`: the body is not `application/json`'),
        429: error('`rate_limited`: the login limits of the account (per address, or account-wide); `Retry-After`'),
      },
    ),
    '/auth/mfa/totp/confirm': route(
      'mfa_totp_confirm',
      'Turn TOTP on with a code from the app: ten recovery codes',
      'The code (±1 step) proves the app holds the secret; the account gets `mfa.enabled` live and as an audit event.',
      {
        200: h.json(recoveryCodesAnswer, 'TOTP is on'),
        401: error('`invalid_code`: wrong or outside ±1 step; or `invalid_token`'),
        404: error('`not_found`: no pending setup'),
        409: error('`mfa_already_enabled`'),
      },
    ),
    '/auth/mfa/totp/disable': route(
      'mfa_totp_disable',
      'Turn TOTP off: password and a code',
      "`code` is a TOTP code or an unused recovery code. The secret and every recovery code are deleted; the account's sign-ins waiting for a code or a new device's approval end; a notice is mailed. The password check counts against the login limits of POST /auth/login.",
      {
        204: { description: 'TOTP is off' },
        401: error('`invalid_credentials`: wrong password; `invalid_code`: wrong, replayed or spent code; or `invalid_token`'),
        404: error('`not_found`: TOTP is not on'),
        429: error('`rate_limited`: the login limits of the account, or the limits on wrong codes; `Retry-After`'),
      },
    ),
  };
}
