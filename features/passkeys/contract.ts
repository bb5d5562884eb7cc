import { z } from 'zod';
import { PASSKEY_ROUTES } from './routes.ts';
import { defineFeature, type OpenApiModule, type WorkerModule } from '../feature.ts';

/**
 * Passkeys (WebAuthn discoverable credentials): the wire contract of the feature, as the edge and the
 * worker both need it. Edge-safe: zod and constants only, never the WebAuthn library or a store
 * (an edge loads no database layer; test/edge-modules.test.ts). docs: features/passkeys/docs.md.
 *
 * Every command runs on the session lane: a passkey sign-in costs a signature check (about a
 * millisecond), not a bcrypt hash, so it neither waits behind password work nor takes a unit of the
 * source's password budget. The per-IP limit of the edge applies to each, as to every command.
 */

/** The commands, by their WebSocket message name (the command kind), as routes.ts declares them. */
export type PasskeyKind = keyof typeof PASSKEY_ROUTES;
export const PASSKEY_KINDS = Object.keys(PASSKEY_ROUTES) as PasskeyKind[];

/** Acting for the signed-in session (REST Bearer, or an authenticated socket). */
export const PASSKEY_SESSION_KINDS = PASSKEY_KINDS.filter((kind) => PASSKEY_ROUTES[kind].auth === 'session');

/** The audit event types the feature emits (GET /auth/events). */
export const PASSKEY_AUDIT_EVENTS = ['passkey.registered', 'passkey.removed'] as const;

/** The live events the account's sockets receive when a passkey is added or removed by one of its sessions. */
export const PASSKEY_LIVE_EVENTS = ['passkey.registered', 'passkey.removed'] as const;

/** The notice mails the account receives on the same occasions. */
export const PASSKEY_MAIL_KINDS = ['passkey_registered', 'passkey_removed'] as const;

/** A challenge lives at most 5 minutes and is used once (docs: Challenges). */
export const PASSKEY_CHALLENGE_TTL_S = 300;

/** The name a passkey gets when none is given. */
export const DEFAULT_PASSKEY_NAME = 'Passkey';

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const base64url = (max: number) => z.string().max(max, `must be at most ${max} characters`).regex(BASE64URL, 'must be base64url');
/** A credential id: at most 1023 bytes (WebAuthn §5.1), so at most 1364 characters of base64url. */
const credentialId = base64url(1364).min(1, 'must not be empty');
/** The client's extension outputs (credProps, ...): passed to the library as they came, within the body limit. */
const extensionResults = z.record(z.string(), z.unknown());
const attachment = z.enum(['platform', 'cross-platform']).nullish();

/** RegistrationResponseJSON (WebAuthn L3 `toJSON()` of a created credential): shapes only, the library checks the rest. */
export const registrationResponseSchema = z.looseObject({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: attachment,
  clientExtensionResults: extensionResults,
  response: z.looseObject({
    clientDataJSON: base64url(4096).min(1, 'must not be empty'),
    attestationObject: base64url(8192).min(1, 'must not be empty'),
    transports: z.array(z.string().max(32)).max(16).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(4096).optional(),
    authenticatorData: base64url(8192).optional(),
  }),
});

/** AuthenticationResponseJSON (`toJSON()` of an assertion): `userHandle` is the account's random handle for a passkey. */
export const authenticationResponseSchema = z.looseObject({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: attachment,
  clientExtensionResults: extensionResults,
  response: z.looseObject({
    clientDataJSON: base64url(4096).min(1, 'must not be empty'),
    authenticatorData: base64url(8192).min(1, 'must not be empty'),
    signature: base64url(2048).min(1, 'must not be empty'),
    userHandle: base64url(128).nullish(),
  }),
});

/** As a login's deviceId (shared/src/protocol.ts): chosen by the client, stable per browser or install. */
const deviceId = z.string().min(1).max(128);
/** Any string within bounds: one that names no pending challenge is refused like a used one (401), never 400. */
const challengeId = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const passkeyName = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters');

export const passkeyBodySchemas = {
  passkey_register_options: z.object({}),
  passkey_register: z.object({ response: registrationResponseSchema, name: passkeyName.optional() }),
  passkeys_list: z.object({}),
  /** `passkeyId`: the credential id (REST: the path's `:id`; a frame's `id` is the request's own). */
  passkey_delete: z.object({ passkeyId: credentialId }),
  passkey_login_options: z.object({}),
  passkey_login: z.object({ challengeId, response: authenticationResponseSchema, deviceId: deviceId.optional() }),
} satisfies Record<PasskeyKind, z.ZodType>;

export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;
export type AuthenticationResponse = z.infer<typeof authenticationResponseSchema>;

/** The feature's commands (features/list.ts). Each runs on the session lane: a signature check, no bcrypt. */
export const passkeysFeature = defineFeature({
  name: 'passkeys',
  commands: [
    {
      kind: 'passkey_register_options',
      body: passkeyBodySchemas.passkey_register_options,
      ...PASSKEY_ROUTES.passkey_register_options,
      lane: 'session',
    },
    {
      kind: 'passkey_register',
      body: passkeyBodySchemas.passkey_register,
      ...PASSKEY_ROUTES.passkey_register,
      lane: 'session',
    },
    {
      kind: 'passkeys_list',
      body: passkeyBodySchemas.passkeys_list,
      ...PASSKEY_ROUTES.passkeys_list,
      lane: 'session',
    },
    {
      kind: 'passkey_delete',
      body: passkeyBodySchemas.passkey_delete,
      ...PASSKEY_ROUTES.passkey_delete,
      lane: 'session',
    },
    {
      kind: 'passkey_login_options',
      body: passkeyBodySchemas.passkey_login_options,
      ...PASSKEY_ROUTES.passkey_login_options,
      lane: 'session',
    },
    {
      kind: 'passkey_login',
      body: passkeyBodySchemas.passkey_login,
      ...PASSKEY_ROUTES.passkey_login,
      lane: 'session',
      signsIn: true,
    },
  ],
  auditEvents: PASSKEY_AUDIT_EVENTS,
  worker: (): WorkerModule => import('./worker/index.ts'),
  openapi: (): OpenApiModule => import('./openapi.ts'),
});

/** What GET /auth/passkeys lists, and POST /auth/passkeys/register answers (without `lastUsedAt`). */
export const passkeySummarySchema = z.object({
  id: z.string().describe('The credential id (base64url)'),
  name: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
});
export type PasskeySummary = z.infer<typeof passkeySummarySchema>;
