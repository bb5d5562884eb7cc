import { z } from 'zod';
import { OIDC_PAGE_PATH } from '@authgate/features/oidc/paths';
import { bodySchemas, clientFrame, type CommandKind } from '@authgate/shared/protocol';
import { errorAnswer } from '../schemas.ts';
import { passkeyPaths } from '@authgate/features/passkeys/openapi';
import {
  deferredAnswer,
  jwksAnswer,
  recoveryCodesAnswer,
  registeredAnswer,
  resultFrameAnswer,
  sessionsAnswer,
  tokenPairAnswer,
  totpSetupAnswer,
  verifiedAnswer,
} from './edge-schemas.ts';

/**
 * The edge's routes (services/edge/src/http/routes.ts and ws/socket.ts) as OpenAPI path items. The
 * edge is no Fastify server, so its routes are described here and handed to @fastify/swagger as the
 * document's starting `paths`; the account API does not serve them. GET /health and GET /ready are
 * not here: the API's own routes of the same name describe both (same answers).
 * docs/rest.md is the prose of the same routes; test/contract-docs.test.ts keeps the two and the code in step.
 */

type Schema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a zod schema, as a request (`input`) or answer (`output`). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Schema;
  return rest;
}

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema: jsonSchema(schema, 'output') } } });
const error = (description: string) => json(errorAnswer, description);
const bearer = [{ bearerAuth: [] }];

const connectionIdHeader = {
  name: 'X-Connection-Id',
  in: 'header',
  required: false,
  description:
    'Deferred delivery: the `connectionId` of a WebSocket `welcome`. The answer is then 202 `{requestId}` and the result is pushed to that connection (docs/deferred-delivery.md).',
  schema: { type: 'string', maxLength: 128 },
};

const COMMON_POST_ERRORS = {
  400: error(
    '`invalid_request`: the body is not a JSON object, holds U+0000 or an unpaired surrogate in any string, or fails the schema (`details` names the fields), or X-Connection-Id is not a connection id',
  ),
  413: error('`payload_too_large`: the body is over MAX_BODY_BYTES'),
  429: error('`rate_limited`: too many requests from this IP; `Retry-After` header and `retryAfter` in the body'),
  500: error('`internal`: the command failed on every delivery and was set aside'),
  503: error('`overloaded`: the queue is full or unreachable, or too many requests are pending; retry later'),
  504: error('`timeout`: no result within REQUEST_TIMEOUT_MS'),
};

const COMMANDS: ReadonlyArray<{
  kind: CommandKind;
  /** Default `/auth/<kind>`. */
  path?: string;
  summary: string;
  success: Record<number, unknown>;
  errors: Record<number, unknown>;
  /** Fields the schema lets through absent but the route needs: documented as required (their absence is answered like a wrong value). */
  required?: readonly string[];
}> = [
  {
    kind: 'register',
    summary: 'Create an account',
    success: { 201: json(registeredAnswer, 'Created') },
    errors: {
      400: error('`invalid_request` (body, or a password over 72 bytes) or `weak_password` (under 8 characters, or common/guessable)'),
      409: error('`email_taken`'),
      429: error(
        '`rate_limited`: too many requests from this IP, or PASSWORD_WORK_PER_SOURCE register/login requests already in flight from this address (docs/shared-addresses.md); `Retry-After`',
      ),
    },
  },
  {
    kind: 'login',
    summary: 'Log in: a token pair',
    success: { 200: json(tokenPairAnswer, 'Logged in') },
    errors: {
      401: error('`invalid_credentials`: alike for an unknown email and a wrong password'),
      403: error(
        '`mfa_required`: the password was right and the account has TOTP on; the error also holds `mfaToken` (5 minutes, 5 codes, once), `methods` ["totp","recovery"], `expiresIn` and `maxAttempts`: go on with POST /auth/mfa/verify; or `device_verification_required`: a new device of an account that has signed in before (or no deviceId, once the account has signed in from a device), the error also holds `verificationId`, `completeToken` (this answer only: send it to complete or verify), `expiresIn` and `notified` (false: the hourly DEVICE_MAILS_PER_HOUR was used up, no prompt or mail went out) (docs/rest.md, New devices); or `account_disabled`; or `challenge_required`: the deployment sees credential stuffing and this login comes from no known device of the account, before any password work; the error also holds `challenge` {algorithm: "sha256", salt, difficulty, expiresAt}: find `nonce` such that SHA-256(salt + nonce) begins with `difficulty` zero bits and send the login again with `challenge` {salt, nonce} (features/stuffing/docs.md)',
      ),
      429: error(
        '`rate_limited`: this IP, this account, or this (account, IP) pair is over its limit, or PASSWORD_WORK_PER_SOURCE register/login requests are already in flight from this address (docs/shared-addresses.md); `Retry-After`',
      ),
    },
  },
  {
    kind: 'mfa_verify',
    path: '/auth/mfa/verify',
    summary: 'Second step of a login with TOTP: a token pair',
    success: { 200: json(tokenPairAnswer, 'Logged in') },
    errors: {
      401: error(
        '`invalid_code`: wrong, outside ±1 step, already used, or a spent recovery code; `invalid_token`: the mfaToken is unknown, expired, used, or had its 5 codes',
      ),
      403: error('`account_disabled`, or a later step of the sign-in (`device_verification_required`)'),
      429: error('`rate_limited`: too many wrong codes for this account or from this IP (MFA_*_MAX_FAILURES); `Retry-After`'),
    },
  },
  {
    kind: 'refresh',
    summary: 'Rotate a refresh token: a new token pair',
    success: { 200: json(tokenPairAnswer, 'Rotated') },
    errors: { 401: error('`invalid_token`: unknown, expired or already used (a reuse revokes the whole session)') },
  },
  {
    kind: 'logout',
    summary: 'End the session of a refresh token',
    success: { 204: { description: "Logged out; the session's access tokens stop verifying on every edge" } },
    errors: { 401: error('`invalid_token`: unknown or expired refresh token') },
  },
  {
    kind: 'device_verify',
    path: '/auth/devices/verify',
    summary: "A new device's sign-in, with the emailed code: a token pair",
    success: { 200: json(tokenPairAnswer, 'Signed in; the device is known from now on') },
    errors: {
      401: error('`invalid_code`: a wrong code; the fifth ends the verification'),
      403: error('`device_denied`: a session of the account denied this sign-in; or `account_disabled`'),
      404: error('`not_found`: unknown, expired, ended or already completed; or a missing or wrong completeToken, answered alike (it spends no try)'),
      429: error(
        '`rate_limited`: too many wrong codes for this account or from this address, across verifications (MFA_*_MAX_FAILURES, counted apart from TOTP), or this IP; `Retry-After`',
      ),
    },
    required: ['completeToken'],
  },
  {
    kind: 'device_complete',
    path: '/auth/devices/complete',
    summary: "A new device's sign-in, after its approval: a token pair, once, to the client that holds the completeToken",
    success: { 200: json(tokenPairAnswer, 'Signed in; the device is known from now on') },
    errors: {
      403: error('`device_denied`: a session of the account denied this sign-in; or `account_disabled`'),
      404: error('`not_found`: unknown, expired or already completed; or a missing or wrong completeToken, answered alike'),
      409: error('`device_verification_pending`: not approved yet'),
    },
    required: ['completeToken'],
  },
];

/** Approve or deny a new device's sign-in: Bearer, any session of the account. */
function decisionPath(decision: 'approve' | 'deny'): Schema {
  return {
    post: {
      tags: ['sessions'],
      summary: decision === 'approve' ? "Approve a new device's sign-in" : "Deny a new device's sign-in",
      description:
        'Served by the edge, answered by a worker. The waiting connection receives `device.' +
        (decision === 'approve' ? 'approved' : 'denied') +
        '` live. The same decision again is 204 and changes nothing.',
      operationId: `edge_device_${decision}`,
      security: bearer,
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(bodySchemas[`device_${decision}`], 'input') } } },
      responses: {
        204: { description: decision === 'approve' ? 'Approved' : 'Denied' },
        400: error('`invalid_request`'),
        401: error('`invalid_token`'),
        404: error("`not_found`: unknown, expired, already decided, or another account's"),
        415: error('`unsupported_media_type`: the body is not application/json'),
        429: error('`rate_limited`'),
        503: error('`overloaded`'),
        504: error('`timeout`'),
      },
    },
  };
}

function commandPath(command: (typeof COMMANDS)[number]): Schema {
  return {
    post: {
      tags: ['auth'],
      summary: command.summary,
      description: "Served by the edge. Answered when the worker's result arrives, or at once with 202 when X-Connection-Id is given.",
      operationId: `edge_${command.kind}`,
      parameters: [connectionIdHeader],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: withRequired(jsonSchema(bodySchemas[command.kind], 'input'), command.required) } },
      },
      responses: {
        ...command.success,
        202: json(deferredAnswer, 'Deferred: the result goes to the WebSocket named by X-Connection-Id'),
        ...COMMON_POST_ERRORS,
        ...command.errors,
      },
    },
  };
}

function withRequired(schema: Schema, fields: readonly string[] = []): Schema {
  if (fields.length === 0) return schema;
  return { ...schema, required: [...new Set([...((schema.required as string[] | undefined) ?? []), ...fields])] };
}

const requestBody = (kind: CommandKind) => ({ required: true, content: { 'application/json': { schema: jsonSchema(bodySchemas[kind], 'input') } } });
const COMMON_ERRORS = { 413: COMMON_POST_ERRORS[413], 429: COMMON_POST_ERRORS[429], 503: COMMON_POST_ERRORS[503], 504: COMMON_POST_ERRORS[504] };

/** The email and password routes (docs/rest.md): commands like login, on paths of their own. */
function emailPaths(): Record<string, Schema> {
  const post = (kind: CommandKind, summary: string, description: string, responses: Record<number, unknown>, bearerAuth = false) => ({
    post: {
      tags: ['auth'],
      summary,
      description,
      operationId: `edge_${kind}`,
      ...(bearerAuth ? { security: bearer } : {}),
      ...(kind === 'email_resend' ? {} : { requestBody: requestBody(kind) }),
      responses: { ...COMMON_ERRORS, 400: COMMON_POST_ERRORS[400], ...responses },
    },
  });
  return {
    '/auth/email/verify': post(
      'email_verify',
      'Verify the account email with the token of a verification mail',
      'Served by the edge, answered by a worker. The token (from `<PUBLIC_URL>/verify-email#token=...`) works once, for 24 hours.',
      { 204: { description: 'The address is verified' }, 401: error('`invalid_token`: unknown, expired, used or malformed') },
    ),
    '/auth/email/resend': post(
      'email_resend',
      'Mail a new verification link',
      'Served by the edge, answered by a worker. At most EMAIL_RESEND_PER_HOUR per account per hour. An address already verified gets no mail.',
      {
        202: { description: 'A mail is queued (or the address is verified already)' },
        401: error('`invalid_token`'),
        429: error('`rate_limited`: this account asked too often (or this IP); `Retry-After`'),
      },
      true,
    ),
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

/** The Bearer routes that turn TOTP on and off (services/worker/src/handlers/mfa-totp.ts). */
function totpPaths(): Record<string, Schema> {
  const common = { 401: error('`invalid_token`'), 429: error('`rate_limited`'), 503: error('`overloaded`'), 504: error('`timeout`') };
  const route = (kind: CommandKind, summary: string, description: string, responses: Record<number, unknown>, body: boolean) => ({
    post: {
      tags: ['second factor'],
      summary,
      description: `Served by the edge, answered by a worker. ${description}`,
      operationId: `edge_${kind}`,
      security: bearer,
      ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(bodySchemas[kind], 'input') } } } } : {}),
      responses: { ...common, 400: error('`invalid_request`'), ...responses },
    },
  });
  return {
    '/auth/mfa/totp/setup': route(
      'mfa_totp_setup',
      'Start TOTP enrolment: a new secret',
      'The current password first (an access token alone cannot turn TOTP on); its check counts against the login limits of POST /auth/login. The secret is pending (TOTP is not on) until POST /auth/mfa/totp/confirm; a second setup replaces a pending secret.',
      {
        200: json(totpSetupAnswer, 'The pending secret'),
        401: error('`invalid_credentials`: wrong password; or `invalid_token`'),
        409: error('`mfa_already_enabled`: TOTP is already on'),
        415: error('`unsupported_media_type`: the body is not `application/json`'),
        429: error('`rate_limited`: the login limits of the account (per address, or account-wide); `Retry-After`'),
      },
      true,
    ),
    '/auth/mfa/totp/confirm': route(
      'mfa_totp_confirm',
      'Turn TOTP on with a code from the app: ten recovery codes',
      'The code (±1 step) proves the app holds the secret; the account gets `mfa.enabled` live and as an audit event.',
      {
        200: json(recoveryCodesAnswer, 'TOTP is on'),
        401: error('`invalid_code`: wrong or outside ±1 step; or `invalid_token`'),
        404: error('`not_found`: no pending setup'),
        409: error('`mfa_already_enabled`'),
      },
      true,
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
      true,
    ),
  };
}

/** A fresh object each time: @fastify/swagger adds the API's routes into the `paths` it is given. */
export function edgePaths(): Record<string, Schema> {
  return {
    ...Object.fromEntries(COMMANDS.map((command) => [command.path ?? `/auth/${command.kind}`, commandPath(command)])),
    '/auth/devices/approve': decisionPath('approve'),
    '/auth/devices/deny': decisionPath('deny'),
    ...emailPaths(),
    ...totpPaths(),
    ...passkeyPaths({ jsonSchema, json, error, commonErrors: COMMON_POST_ERRORS, tokenPair: tokenPairAnswer }),
    '/auth/verify': {
      get: {
        tags: ['auth'],
        summary: 'Check an access token',
        description: "Served by the edge, with public keys only; a revoked session's token is refused.",
        operationId: 'edge_verify',
        security: bearer,
        responses: {
          200: json(verifiedAnswer, 'The token is valid'),
          401: error('`invalid_token`: missing, malformed, forged, expired, or its session was revoked'),
        },
      },
    },
    '/auth/sessions': {
      get: {
        tags: ['sessions'],
        summary: "The account's sessions",
        description: 'Served by the edge, answered by a worker. Newest first; `current` marks the session of the presented token.',
        operationId: 'edge_sessions_list',
        security: bearer,
        responses: {
          200: json(sessionsAnswer, 'The sessions'),
          401: error('`invalid_token`'),
          429: error('`rate_limited`'),
          503: error('`overloaded`'),
          504: error('`timeout`'),
        },
      },
    },
    '/auth/sessions/{id}': {
      delete: {
        tags: ['sessions'],
        summary: "End one of the account's sessions",
        description:
          "Served by the edge, answered by a worker. Its refresh token stops working, its access tokens stop verifying on every edge, the account's sockets receive `session.revoked` and that session's sockets are closed with 4001.",
        operationId: 'edge_session_revoke',
        security: bearer,
        parameters: [
          { name: 'id', in: 'path', required: true, description: 'A session id from GET /auth/sessions', schema: { type: 'string', format: 'uuid' } },
        ],
        responses: {
          204: { description: 'Revoked' },
          400: error('`invalid_request`: not a session id'),
          401: error('`invalid_token`'),
          404: error('`not_found`: the account has no such session'),
          429: error('`rate_limited`'),
          503: error('`overloaded`'),
          504: error('`timeout`'),
        },
      },
    },
    '/auth/sessions/revoke-others': {
      post: {
        tags: ['sessions'],
        summary: "End every session of the account but the caller's",
        description: 'Served by the edge, answered by a worker; each ended session as by DELETE /auth/sessions/{id}.',
        operationId: 'edge_sessions_revoke_others',
        security: bearer,
        responses: {
          204: { description: 'Revoked' },
          401: error('`invalid_token`'),
          429: error('`rate_limited`'),
          503: error('`overloaded`'),
          504: error('`timeout`'),
        },
      },
    },
    '/auth/results/{requestId}': {
      get: {
        tags: ['auth'],
        summary: 'Collect a kept result',
        description:
          "Served by the edge. Results are kept 60 s and shown only to the connection they were addressed to: a deferred request's by its `requestId`, a WebSocket request's by the `id` the client gave it.",
        operationId: 'edge_results',
        parameters: [
          {
            name: 'requestId',
            in: 'path',
            required: true,
            description: 'A `requestId` from a 202, or the `id` of a WebSocket request',
            schema: { type: 'string', maxLength: 64 },
          },
          { ...connectionIdHeader, required: true, description: 'The connection the result was addressed to' },
        ],
        responses: {
          200: json(resultFrameAnswer, 'The `result` frame'),
          400: error('`invalid_request`: no X-Connection-Id header'),
          404: error('`not_found`: no result (not yet, expired, or addressed to another connection)'),
          503: error('`overloaded`: the result store is unavailable'),
        },
      },
    },
    '/.well-known/jwks.json': {
      get: {
        tags: ['auth'],
        summary: 'The public keys that verify access tokens',
        description: 'Served by the edge; cacheable for 5 minutes.',
        operationId: 'edge_jwks',
        responses: { 200: json(jwksAnswer, 'JWKS (public members only)') },
      },
    },
    '/': {
      get: {
        tags: ['page'],
        summary: 'The page: sign up, sign in, second factor, device approval, sessions, the event trail',
        description:
          "Served by the edge from memory (web/dist, built with `npm run build:web`) under a Content-Security-Policy of 'self' only; 404 when the page is not built.",
        operationId: 'edge_page',
        responses: { 200: { description: 'HTML', content: { 'text/html': {} } } },
      },
    },
    '/verify-email': {
      get: {
        tags: ['page'],
        summary: "The page at a verification mail's link: it verifies the address",
        description:
          'The page itself (as `/`): it reads the token from the link (`#token=`, never sent to a server), removes it from the address bar, posts it to POST /auth/email/verify and says the outcome. `Referrer-Policy: no-referrer`.',
        operationId: 'edge_page_verify_email',
        responses: { 200: { description: 'HTML', content: { 'text/html': {} } } },
      },
    },
    '/reset-password': {
      get: {
        tags: ['page'],
        summary: 'The page at a reset mail\'s link: a "New password" form',
        description:
          'The page itself (as `/`): it reads the token from the link (`#token=`), removes it from the address bar, and posts it with the new password to POST /auth/password/reset. `Referrer-Policy: no-referrer`.',
        operationId: 'edge_page_reset_password',
        responses: { 200: { description: 'HTML', content: { 'text/html': {} } } },
      },
    },
    '/account/security': {
      get: {
        tags: ['page'],
        summary: "The page at a security notice's link: the account's sessions and second factor",
        description: 'The page itself (as `/`): the signed-in account, its sessions in view; signed out, the sign-in form first.',
        operationId: 'edge_page_security',
        responses: { 200: { description: 'HTML', content: { 'text/html': {} } } },
      },
    },
    [OIDC_PAGE_PATH]: {
      get: {
        tags: ['page', 'openid'],
        summary: "The page at an application's OpenID sign-in: sign in, then continue to the application",
        description:
          'The page itself (as `/`), where `/oidc/interaction/:uid` sends the browser (`?interaction=<uid>`): it signs the person in as anywhere else, or at once when this browser is signed in already, hands the session to the interaction, shows Allow/Deny to a third-party application, and goes back to it.',
        operationId: 'edge_page_openid',
        parameters: [{ name: 'interaction', in: 'query', required: true, description: 'The interaction the provider began', schema: { type: 'string' } }],
        responses: { 200: { description: 'HTML', content: { 'text/html': {} } } },
      },
    },
    '/favicon.svg': {
      get: {
        tags: ['page'],
        summary: "The page's icon",
        operationId: 'edge_page_icon',
        responses: { 200: { description: 'SVG', content: { 'image/svg+xml': {} } } },
      },
    },
    '/assets/{file}': {
      get: {
        tags: ['page'],
        summary: "The page's scripts and styles",
        description: 'Names carry a hash of their content: cacheable for a year (immutable).',
        operationId: 'edge_page_asset',
        parameters: [{ name: 'file', in: 'path', required: true, description: 'A file name of the build', schema: { type: 'string' } }],
        responses: {
          200: { description: 'JavaScript or CSS', content: { 'text/javascript': {}, 'text/css': {} } },
          404: error('`not_found`: no such file in the build'),
        },
      },
    },
    '/sdk/authgate-client.js': {
      get: {
        tags: ['page'],
        summary: 'The client SDK as one ES module, for pages without a bundler',
        description: 'The browser build of @authgate/client (client/dist); importable from pages of any origin (CORS `*`).',
        operationId: 'edge_sdk',
        responses: { 200: { description: 'JavaScript (ES module)', content: { 'text/javascript': {} } } },
      },
    },
    '/ws': {
      get: {
        tags: ['websocket'],
        summary: 'WebSocket: the same commands as messages, results pushed',
        description:
          'Served by the edge: an HTTP upgrade, then JSON text frames (docs/websocket.md). The first frame is `{"type":"welcome","connectionId"}`. `x-client-messages` is the schema of the frames a client sends.',
        operationId: 'edge_websocket',
        responses: {
          101: { description: 'Switching Protocols' },
          403: error('`forbidden`: a browser page of an origin not in CORS_ORIGINS (only when CORS_ORIGINS is set)'),
        },
        'x-client-messages': jsonSchema(clientFrame, 'input'),
      },
    },
  };
}
