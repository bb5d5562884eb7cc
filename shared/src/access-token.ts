import { jwtVerify, type JWTHeaderParameters } from 'jose';
import { AppError } from './errors.ts';
import type { VerificationKeys } from './keys.ts';

/** The claims of an access token that passed every check below. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  exp: number;
  iat: number;
  jti: string;
}

export interface AccessTokenRules {
  issuer: string;
  audience: string;
  /** ACCESS_TOKEN_TTL_S: no token may live longer (`exp - iat`), whoever signed it. */
  maxLifetimeS: number;
}

/** Clocks of the signing worker and this process may differ this much (seconds). */
const CLOCK_SKEW_S = 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const INVALID = () => new AppError('invalid_token', 'access token is invalid or expired');

/**
 * Verifies an access token with public keys only. jose makes the checks: signature by the key named
 * in `kid` (unknown or missing kid fails), algorithm allowlist (JWT_ALG only: RS256 by default, so
 * `none`, HS256 and any other algorithm fail), `iss`, `aud`, `exp`, `nbf`, and the claims we require; then UUID ids and a lifetime
 * within the configured one. Every failure is the same
 * `invalid_token`, so the answer tells an attacker nothing about which check failed.
 */
export async function verifyAccessToken(token: string, keys: VerificationKeys, rules: AccessTokenRules): Promise<AccessTokenClaims> {
  const keyFor = (header: JWTHeaderParameters) => {
    const key = header.kid ? keys.byKid.get(header.kid) : undefined;
    if (!key) throw INVALID();
    return key;
  };
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keyFor, {
      algorithms: [keys.alg],
      issuer: rules.issuer,
      audience: rules.audience,
      requiredClaims: ['sub', 'sid', 'exp', 'iat', 'jti'],
    }));
  } catch {
    throw INVALID();
  }
  const { sub, sid, exp, iat, jti } = payload;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number' || typeof iat !== 'number' || typeof jti !== 'string') throw INVALID();
  // Ids are UUIDs (a user id, a session id): anything else never reaches a lookup as one.
  if (!UUID.test(sub) || !UUID.test(sid)) throw INVALID();
  // Lifetime: no longer than the configured one, and not issued in the future to stretch it.
  if (exp - iat > rules.maxLifetimeS || iat > Date.now() / 1000 + CLOCK_SKEW_S) throw INVALID();
  return { sub, sid, exp, iat, jti };
}

const MIN_TOKEN_LENGTH = 16;
const MAX_TOKEN_LENGTH = 4096;
const SCHEME = 'bearer ';

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined. Checked without a regular
 * expression, because this runs on every verify: the scheme, the length, no space or control character
 * at its ends or a space inside. The token's own form is jose's to check, and a cache hit is by
 * definition a token that passed jose.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || header.length < SCHEME.length + MIN_TOKEN_LENGTH || header.length > SCHEME.length + MAX_TOKEN_LENGTH) return undefined;
  if (!header.startsWith('Bearer ') && header.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return undefined;
  const token = header.slice(SCHEME.length);
  if (token.charCodeAt(0) <= 32 || token.charCodeAt(token.length - 1) <= 32 || token.includes(' ')) return undefined;
  return token;
}
