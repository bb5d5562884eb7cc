import { jwtVerify, type JWTHeaderParameters } from 'jose';
import { AppError, SIGNING_ALG, type VerificationKeys } from '@authgate/shared';

export interface VerifiedToken {
  sub: string;
  sid: string;
  exp: number;
  /** The serialized `{sub, sid, exp}` answer of GET /auth/verify, built once per token. */
  body: string;
}

const INVALID = () => new AppError('invalid_token', 'access token is invalid or expired');

/** Sessions revoked before their tokens expire (logout, refresh-token reuse), as every edge learns them. */
export interface RevocationCheck {
  isRevoked(sid: string): boolean;
}

/**
 * Verifies access tokens in-process with public keys only. jose makes the checks: signature by the
 * key named in `kid` (unknown kid fails), algorithm allowlist (RS256 only, so `none` and HS256 tokens
 * fail), `iss`, `aud`, `exp`, `nbf`, and the claims we require; then tokens of a revoked session are
 * refused. Verified tokens are cached, bounded in number, and an entry is used only while its token's
 * `exp` is still ahead and its session stands: the revocation check runs on cache hits too, so a
 * logout takes effect on the next request.
 */
export class TokenVerifier {
  private readonly cache = new Map<string, VerifiedToken>();

  constructor(
    private readonly keys: VerificationKeys,
    private readonly options: { issuer: string; audience: string; cacheSize: number; revocations?: RevocationCheck },
  ) {}

  get jwks(): VerificationKeys['jwks'] {
    return this.keys.jwks;
  }

  cached(token: string): VerifiedToken | undefined {
    const hit = this.cache.get(token);
    if (!hit) return undefined;
    if (hit.exp * 1000 > Date.now() && !this.options.revocations?.isRevoked(hit.sid)) return hit;
    this.cache.delete(token);
    return undefined;
  }

  async verify(token: string): Promise<VerifiedToken> {
    const hit = this.cached(token);
    if (hit) return hit;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms: [SIGNING_ALG],
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'sid', 'exp', 'iat', 'jti'],
      }));
    } catch {
      throw INVALID();
    }
    if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw INVALID();
    if (this.options.revocations?.isRevoked(payload.sid)) throw INVALID();
    const verified: VerifiedToken = {
      sub: payload.sub,
      sid: payload.sid,
      exp: payload.exp,
      body: JSON.stringify({ sub: payload.sub, sid: payload.sid, exp: payload.exp }),
    };
    this.remember(token, verified);
    return verified;
  }

  private keyFor(header: JWTHeaderParameters) {
    const key = header.kid ? this.keys.byKid.get(header.kid) : undefined;
    if (!key) throw INVALID();
    return key;
  }

  private remember(token: string, verified: VerifiedToken): void {
    if (this.options.cacheSize === 0) return;
    if (this.cache.size >= this.options.cacheSize) {
      // Oldest first: Map iteration order is insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, verified);
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string): string | undefined {
  const match = /^Bearer +([A-Za-z0-9_.-]{16,4096})$/i.exec(header);
  return match?.[1];
}
