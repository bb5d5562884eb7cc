import { z } from 'zod';
import type { OpenApiHelpers } from '../feature.ts';

type Schema = Record<string, unknown>;

/** GET /auth/sessions (features/sessions/worker/sessions.ts). */
const sessionsAnswer = z.array(
  z.object({
    id: z.uuid(),
    current: z.boolean(),
    deviceId: z.string().nullable(),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime(),
  }),
);

/** The feature's routes as OpenAPI path items (docs/rest.md is their prose). */
export default function sessionsPaths(h: OpenApiHelpers): Record<string, Schema> {
  const { error } = h;
  const busy = { 429: error('`rate_limited`'), 503: error('`overloaded`'), 504: error('`timeout`') };
  return {
    '/auth/refresh': h.openCommand('refresh', {
      summary: 'Rotate a refresh token: a new token pair',
      success: { 200: h.json(h.tokenPair, 'Rotated') },
      errors: { 401: error('`invalid_token`: unknown, expired or already used (a reuse revokes the whole session)') },
    }),
    '/auth/logout': h.openCommand('logout', {
      summary: 'End the session of a refresh token',
      success: { 204: { description: "Logged out; the session's access tokens stop verifying on every edge" } },
      errors: { 401: error('`invalid_token`: unknown or expired refresh token') },
    }),
    '/auth/sessions': {
      get: {
        tags: ['sessions'],
        summary: "The account's sessions",
        description: 'Served by the edge, answered by a worker. Newest first; `current` marks the session of the presented token.',
        operationId: 'edge_sessions_list',
        security: h.bearer,
        responses: { 200: h.json(sessionsAnswer, 'The sessions'), 401: error('`invalid_token`'), ...busy },
      },
    },
    '/auth/sessions/{id}': {
      delete: {
        tags: ['sessions'],
        summary: "End one of the account's sessions",
        description:
          "Served by the edge, answered by a worker. Its refresh token stops working, its access tokens stop verifying on every edge, the account's sockets receive `session.revoked` and that session's sockets are closed with 4001.",
        operationId: 'edge_session_revoke',
        security: h.bearer,
        parameters: [
          { name: 'id', in: 'path', required: true, description: 'A session id from GET /auth/sessions', schema: { type: 'string', format: 'uuid' } },
        ],
        responses: {
          204: { description: 'Revoked' },
          400: error('`invalid_request`: not a session id'),
          401: error('`invalid_token`'),
          404: error('`not_found`: the account has no such session'),
          ...busy,
        },
      },
    },
    '/auth/sessions/revoke-others': {
      post: {
        tags: ['sessions'],
        summary: "End every session of the account but the caller's",
        description: 'Served by the edge, answered by a worker; each ended session as by DELETE /auth/sessions/{id}.',
        operationId: 'edge_sessions_revoke_others',
        security: h.bearer,
        responses: { 204: { description: 'Revoked' }, 401: error('`invalid_token`'), ...busy },
      },
    },
  };
}
