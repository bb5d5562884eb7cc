import { z } from 'zod';
import { OIDC_PAGE_PATH } from '@authgate/features/oidc/paths';
import type { OpenApiHelpers } from '@authgate/features/feature';
import { FEATURES } from '@authgate/features/list';
import { clientFrame, commandContracts, type CommandKind } from '@authgate/shared/protocol';
import { errorAnswer } from '../schemas.ts';
import { deferredAnswer, jwksAnswer, resultFrameAnswer, tokenPairAnswer, verifiedAnswer } from './edge-schemas.ts';

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

function withRequired(schema: Schema, fields: readonly string[] = []): Schema {
  if (fields.length === 0) return schema;
  return { ...schema, required: [...new Set([...((schema.required as string[] | undefined) ?? []), ...fields])] };
}

function requestBody(kind: string, required?: readonly string[]): Schema {
  const body = commandContracts[kind as CommandKind]?.body;
  if (!body) throw new Error(`no command ${kind} in the feature list`);
  return { required: true, content: { 'application/json': { schema: withRequired(jsonSchema(body, 'input'), required) } } };
}

const deferred = json(deferredAnswer, 'Deferred: the result goes to the WebSocket named by X-Connection-Id');

/** What each feature's OpenAPI part builds its path items with (features/feature.ts). */
const helpers: OpenApiHelpers = {
  jsonSchema,
  json,
  error,
  commonErrors: COMMON_POST_ERRORS,
  tokenPair: tokenPairAnswer,
  requestBody,
  bearer,
  openCommand: (kind, doc) => ({
    post: {
      tags: ['auth'],
      summary: doc.summary,
      description: "Served by the edge. Answered when the worker's result arrives, or at once with 202 when X-Connection-Id is given.",
      operationId: `edge_${kind}`,
      parameters: [connectionIdHeader],
      requestBody: requestBody(kind, doc.required),
      responses: { ...doc.success, 202: deferred, ...COMMON_POST_ERRORS, ...doc.errors },
    },
  }),
};

/** The path items of every feature in the list's order, each from its own OpenAPI part. */
async function featurePaths(): Promise<Record<string, Schema>> {
  const parts = await Promise.all(FEATURES.map(async (feature) => (feature.openapi ? (await feature.openapi()).default(helpers) : {})));
  return Object.assign({}, ...parts);
}

/** A fresh object each time: @fastify/swagger adds the API's routes into the `paths` it is given. */
export async function edgePaths(): Promise<Record<string, Schema>> {
  return {
    ...(await featurePaths()),
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
