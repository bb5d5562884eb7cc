import { z } from 'zod';
import type { OpenApiHelpers } from '../feature.ts';
import { passkeySummarySchema, type PasskeyKind } from './contract.ts';

/**
 * The passkey routes as OpenAPI path items, for the document the account API serves (the edge is no
 * Fastify server: services/api/src/openapi/edge-paths.ts hands them in with its own helpers).
 */

type Schema = Record<string, unknown>;

const base64url = z.string().describe('base64url, no padding');

/** PublicKeyCredentialCreationOptionsJSON as the worker makes it (WebAuthn L3; the browser's create() takes it, decoded). */
const creationOptions = z.looseObject({
  challenge: base64url.describe('256 random bits, single use, 5 minutes'),
  rp: z.object({ name: z.string(), id: z.string().describe('The host of PUBLIC_URL') }),
  user: z.object({
    id: base64url.describe("The account's random handle (32 bytes): not the email, not the user id"),
    name: z.string(),
    displayName: z.string(),
  }),
  pubKeyCredParams: z.array(z.object({ alg: z.number().int(), type: z.literal('public-key') })).describe('ES256, EdDSA, RS256'),
  timeout: z.number().int(),
  excludeCredentials: z
    .array(z.object({ id: base64url, type: z.literal('public-key'), transports: z.array(z.string()).optional() }))
    .describe("The account's passkeys"),
  authenticatorSelection: z.looseObject({ residentKey: z.literal('required'), requireResidentKey: z.literal(true), userVerification: z.literal('preferred') }),
  attestation: z.literal('none'),
});

/** PublicKeyCredentialRequestOptionsJSON: no allowCredentials (discoverable credentials), user verification required. */
const requestOptions = z.looseObject({
  challenge: base64url.describe('256 random bits, single use, 5 minutes'),
  rpId: z.string(),
  timeout: z.number().int(),
  userVerification: z.literal('required'),
});

const challengeAnswer = z.object({
  challengeId: z.string().describe('Names the pending challenge in POST /auth/passkeys/login (256 random bits)'),
  options: requestOptions,
});

const REFUSED =
  '`invalid_credentials`: the ceremony does not verify (origin, rp id, user presence or verification, signature, counter), the challenge is unknown, used, expired or of another account, or the credential is unknown or removed: one message for every reason';

export default function passkeyPaths(h: OpenApiHelpers): Record<string, Schema> {
  const session = { 401: h.error('`invalid_token`'), 429: h.error('`rate_limited`'), 503: h.error('`overloaded`'), 504: h.error('`timeout`') };
  const operation = (kind: PasskeyKind, summary: string, description: string, extra: Schema) => ({
    tags: ['passkeys'],
    summary,
    description: `Served by the edge, answered by a worker (features/passkeys/docs.md). ${description}`,
    operationId: `edge_${kind}`,
    ...extra,
  });
  return {
    '/auth/passkeys/register/options': {
      post: operation(
        'passkey_register_options',
        'Start adding a passkey: the options for navigator.credentials.create()',
        'Its challenge is bound to the account, used once, 5 minutes.',
        {
          security: [{ bearerAuth: [] }],
          responses: {
            ...session,
            200: h.json(creationOptions, 'PublicKeyCredentialCreationOptionsJSON'),
            403: h.error('`forbidden`: passkeys are unavailable: PUBLIC_URL has an IP address for its host (the message says so)'),
            415: h.error('`unsupported_media_type`: a body that is not JSON'),
          },
        },
      ),
    },
    '/auth/passkeys/register': {
      post: operation(
        'passkey_register',
        'Add a passkey: the RegistrationResponseJSON of create()',
        "The attestation is verified with the challenge of the options (once), PUBLIC_URL's origin and rp id, and user verification required. The account's sockets receive `passkey.registered`, a notice is mailed, the trail gets `passkey.registered`.",
        {
          security: [{ bearerAuth: [] }],
          requestBody: h.requestBody('passkey_register'),
          responses: {
            ...session,
            201: h.json(passkeySummarySchema.omit({ lastUsedAt: true }), 'Added'),
            400: h.error('`invalid_request`: the body is not a RegistrationResponseJSON, or the name is empty or over 64 characters'),
            401: h.error(`${REFUSED}; or \`invalid_token\``),
            413: h.commonErrors[413],
            415: h.error('`unsupported_media_type`'),
          },
        },
      ),
    },
    '/auth/passkeys': {
      get: operation('passkeys_list', "The account's passkeys, oldest first", '', {
        security: [{ bearerAuth: [] }],
        responses: { ...session, 200: h.json(z.array(passkeySummarySchema), 'The passkeys') },
      }),
    },
    '/auth/passkeys/{id}': {
      delete: operation(
        'passkey_delete',
        'Remove one of the account’s passkeys',
        "It signs in no more. The account's sockets receive `passkey.removed`, a notice is mailed, the trail gets `passkey.removed`.",
        {
          security: [{ bearerAuth: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, description: 'The credential id (base64url) from GET /auth/passkeys', schema: { type: 'string' } },
          ],
          responses: {
            ...session,
            204: { description: 'Removed' },
            400: h.error('`invalid_request`: not a credential id'),
            404: h.error("`not_found`: no such passkey, or another account's"),
          },
        },
      ),
    },
    '/auth/passkeys/login/options': {
      post: operation(
        'passkey_login_options',
        'Start a passkey sign-in: the options for navigator.credentials.get()',
        'No account is named (discoverable credentials). The challenge is used once, within 5 minutes.',
        {
          requestBody: h.requestBody('passkey_login_options'),
          responses: {
            ...h.commonErrors,
            200: h.json(challengeAnswer, 'The challenge and PublicKeyCredentialRequestOptionsJSON'),
            403: h.error('`forbidden`: passkeys are unavailable: PUBLIC_URL has an IP address for its host (the message says so)'),
            415: h.error('`unsupported_media_type`'),
            429: h.error('`rate_limited`: this IP is over its limit (RATE_LIMIT_IP_PER_MINUTE); `Retry-After`'),
          },
        },
      ),
    },
    '/auth/passkeys/login': {
      post: operation(
        'passkey_login',
        'Sign in with a passkey: a token pair',
        "The assertion is verified with the challenge (taken once, first), the stored public key, PUBLIC_URL's origin and rp id, user verification required, a counter that went up, and a userHandle that names the passkey's account. It satisfies the second factor and the new-device check: only a disabled account (and, with REQUIRE_VERIFIED_EMAIL, an unverified address) is refused after it. The session's `amr` is `hwk`; the device, if named, is known from now on. Also accepts X-Connection-Id (202, the result on that WebSocket).",
        {
          requestBody: h.requestBody('passkey_login'),
          responses: {
            ...h.commonErrors,
            200: h.json(h.tokenPair, 'Signed in'),
            401: h.error(REFUSED),
            403: h.error('`account_disabled`; or `email_not_verified` (REQUIRE_VERIFIED_EMAIL)'),
            415: h.error('`unsupported_media_type`'),
          },
        },
      ),
    },
  };
}
