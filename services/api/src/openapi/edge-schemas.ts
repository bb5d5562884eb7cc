import { z } from 'zod';
import type { TokenPair } from '@authgate/shared/protocol';

/**
 * The answers of the edge's routes (services/edge), as zod schemas for the OpenAPI document only: the
 * edge builds these objects itself and validates nothing against them. Request bodies are the
 * protocol's own schemas (shared/src/protocol.ts), which the edge does validate with.
 */

/** `satisfies` ties this description to the TokenPair type the workers build. */
export const tokenPairAnswer = z.object({
  accessToken: z.string().describe('RS256 JWT with `kid`; claims iss, aud, sub, sid, iat, exp, jti'),
  refreshToken: z.string().describe('Opaque, single use: each refresh returns a new one'),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('Seconds until the access token expires'),
  sessionId: z.string(),
  user: z.object({ id: z.uuid(), email: z.string() }),
}) satisfies z.ZodType<TokenPair>;

export const deferredAnswer = z.object({
  requestId: z.uuid().describe('The `id` of the `result` frame pushed to the connection, and the key for GET /auth/results/:requestId'),
});

export const verifiedAnswer = z.object({
  sub: z.string().describe('User id'),
  sid: z.string().describe('Session id'),
  exp: z.number().int().describe('Expiry, seconds since the epoch'),
});

const errorObject = z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  retryAfter: z.number().int().optional(),
});

/** The `result` frame: as pushed over /ws, and as GET /auth/results/:requestId answers it. */
export const resultFrameAnswer = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('result'), id: z.string(), ok: z.literal(true), status: z.number().int(), data: z.unknown().optional() }),
  z.object({ type: z.literal('result'), id: z.string(), ok: z.literal(false), status: z.number().int(), error: errorObject }),
]);

export const jwksAnswer = z.object({
  keys: z.array(z.object({ kty: z.string(), kid: z.string(), alg: z.string().optional(), use: z.string().optional() }).loose()),
});
