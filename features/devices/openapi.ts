import type { OpenApiHelpers } from '../feature.ts';

type Schema = Record<string, unknown>;

/** The feature's routes as OpenAPI path items (docs/rest.md, New devices, is their prose). */
export default function devicesPaths(h: OpenApiHelpers): Record<string, Schema> {
  const { error } = h;
  /** Approve or deny a new device's sign-in: Bearer, any session of the account. */
  const decision = (outcome: 'approve' | 'deny'): Schema => ({
    post: {
      tags: ['sessions'],
      summary: outcome === 'approve' ? "Approve a new device's sign-in" : "Deny a new device's sign-in",
      description: `Served by the edge, answered by a worker. The waiting connection receives \`device.${outcome === 'approve' ? 'approved' : 'denied'}\` live. The same decision again is 204 and changes nothing.`,
      operationId: `edge_device_${outcome}`,
      security: h.bearer,
      requestBody: h.requestBody(`device_${outcome}`),
      responses: {
        204: { description: outcome === 'approve' ? 'Approved' : 'Denied' },
        400: error('`invalid_request`'),
        401: error('`invalid_token`'),
        404: error("`not_found`: unknown, expired, already decided, or another account's"),
        415: error('`unsupported_media_type`: the body is not application/json'),
        429: error('`rate_limited`'),
        503: error('`overloaded`'),
        504: error('`timeout`'),
      },
    },
  });
  return {
    '/auth/devices/verify': h.openCommand('device_verify', {
      summary: "A new device's sign-in, with the emailed code: a token pair",
      success: { 200: h.json(h.tokenPair, 'Signed in; the device is known from now on') },
      errors: {
        401: error('`invalid_code`: a wrong code; the fifth ends the verification'),
        403: error('`device_denied`: a session of the account denied this sign-in; or `account_disabled`'),
        404: error('`not_found`: unknown, expired, ended or already completed; or a missing or wrong completeToken, answered alike (it spends no try)'),
        429: error(
          '`rate_limited`: too many wrong codes for this account or from this address, across verifications (MFA_*_MAX_FAILURES, counted apart from TOTP), or this IP; `Retry-After`',
        ),
      },
      required: ['completeToken'],
    }),
    '/auth/devices/complete': h.openCommand('device_complete', {
      summary: "A new device's sign-in, after its approval: a token pair, once, to the client that holds the completeToken",
      success: { 200: h.json(h.tokenPair, 'Signed in; the device is known from now on') },
      errors: {
        403: error('`device_denied`: a session of the account denied this sign-in; or `account_disabled`'),
        404: error('`not_found`: unknown, expired or already completed; or a missing or wrong completeToken, answered alike'),
        409: error('`device_verification_pending`: not approved yet'),
      },
      required: ['completeToken'],
    }),
    '/auth/devices/approve': decision('approve'),
    '/auth/devices/deny': decision('deny'),
  };
}
