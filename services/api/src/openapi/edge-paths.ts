import { z } from 'zod';
import { bodySchemas, clientFrame, type CommandKind } from '@authgate/shared/protocol';
import { errorAnswer } from '../schemas.ts';
import { deferredAnswer, jwksAnswer, registeredAnswer, resultFrameAnswer, sessionsAnswer, tokenPairAnswer, verifiedAnswer } from './edge-schemas.ts';

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
  400: error('`invalid_request`: the body is not a JSON object or fails the schema (`details` names the fields), or X-Connection-Id is not a connection id'),
  413: error('`payload_too_large`: the body is over MAX_BODY_BYTES'),
  429: error('`rate_limited`: too many requests from this IP; `Retry-After` header and `retryAfter` in the body'),
  500: error('`internal`: the command failed on every delivery and was set aside'),
  503: error('`overloaded`: the queue is full or unreachable, or too many requests are pending; retry later'),
  504: error('`timeout`: no result within REQUEST_TIMEOUT_MS'),
};

const COMMANDS: ReadonlyArray<{ kind: CommandKind; summary: string; success: Record<number, unknown>; errors: Record<number, unknown> }> = [
  {
    kind: 'register',
    summary: 'Create an account',
    success: { 201: json(registeredAnswer, 'Created') },
    errors: {
      400: error('`invalid_request` (body, or a password over 72 bytes) or `weak_password` (under 8 characters, or common/guessable)'),
      409: error('`email_taken`'),
    },
  },
  {
    kind: 'login',
    summary: 'Log in: a token pair',
    success: { 200: json(tokenPairAnswer, 'Logged in') },
    errors: {
      401: error('`invalid_credentials`: alike for an unknown email and a wrong password'),
      429: error('`rate_limited`: this IP, this account, or this (account, IP) pair is over its limit; `Retry-After`'),
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
];

function commandPath(command: (typeof COMMANDS)[number]): Schema {
  return {
    post: {
      tags: ['auth'],
      summary: command.summary,
      description: "Served by the edge. Answered when the worker's result arrives, or at once with 202 when X-Connection-Id is given.",
      operationId: `edge_${command.kind}`,
      parameters: [connectionIdHeader],
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(bodySchemas[command.kind], 'input') } } },
      responses: {
        ...command.success,
        202: json(deferredAnswer, 'Deferred: the result goes to the WebSocket named by X-Connection-Id'),
        ...COMMON_POST_ERRORS,
        ...command.errors,
      },
    },
  };
}

/** A fresh object each time: @fastify/swagger adds the API's routes into the `paths` it is given. */
export function edgePaths(): Record<string, Schema> {
  return {
    ...Object.fromEntries(COMMANDS.map((command) => [`/auth/${command.kind}`, commandPath(command)])),
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
