import { verifyAccessToken } from '@authgate/shared/access-token';
import { AppError } from '@authgate/shared/errors';
import type { VerificationKeys } from '@authgate/shared/keys';

export { bearerToken } from '@authgate/shared/access-token';

export interface VerifiedToken {
  /** The whole token this entry was verified for: a cache hit must equal it. */
  token: string;
  sub: string;
  sid: string;
  exp: number;
  /** The serialized `{sub, sid, exp}` answer of GET /auth/verify, built once per token. */
  body: string;
}

/** Sessions revoked before their tokens expire (logout, refresh-token reuse), as every edge learns them. */
export interface RevocationCheck {
  isRevoked(sid: string): boolean;
}

/**
 * The cache is indexed by the token's last characters, from its signature: hashing the whole token
 * (~650 characters, a fresh string on every request) was the largest single cost of a cached verify.
 * The index only finds a candidate; `cached` answers from it only when the whole token is equal.
 */
const INDEX_LENGTH = 22;
const BEARER = 'Bearer ';
const indexOf = (token: string) => token.slice(-INDEX_LENGTH);

const REVOKED = () => new AppError('invalid_token', 'access token is invalid or expired');

/**
 * Verifies access tokens in-process with public keys only (the checks are in shared's
 * verifyAccessToken), then refuses those of a revoked session. Verified tokens are cached, bounded in
 * number, and an entry is used only while its token's `exp` is still ahead and its session stands:
 * the revocation check runs on cache hits too, so a logout takes effect on the next request.
 */
export class TokenVerifier {
  private readonly cache = new Map<string, VerifiedToken>();
  /** Plain counts for the metrics: hits answered from the cache, misses that ran the signature check. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly keys: VerificationKeys,
    private readonly options: { issuer: string; audience: string; maxLifetimeS: number; cacheSize: number; revocations?: RevocationCheck },
  ) {}

  /** Whether the session was revoked (logout, reuse, a user's or an administrator's revoke). */
  isRevoked(sid: string): boolean {
    return this.options.revocations?.isRevoked(sid) ?? false;
  }

  get jwks(): VerificationKeys['jwks'] {
    return this.keys.jwks;
  }

  cached(token: string): VerifiedToken | undefined {
    const hit = this.cache.get(indexOf(token));
    // The check a hit makes: the very token that was verified (not one that shares its index), its
    // `exp` still ahead, its session not revoked.
    if (!hit || hit.token !== token) return undefined;
    if (hit.exp * 1000 > Date.now() && !this.options.revocations?.isRevoked(hit.sid)) {
      this.stats.hits++;
      return hit;
    }
    this.cache.delete(indexOf(token));
    return undefined;
  }

  /**
   * The cached entry for an `Authorization` header spelled exactly `Bearer <token>`. A hit equals a
   * token that passed bearerToken's syntax checks when it was verified, so they need not run again;
   * any other spelling, and every miss, takes the long way (bearerToken, then verify).
   */
  cachedBearer(header: string): VerifiedToken | undefined {
    return header.startsWith(BEARER) ? this.cached(header.slice(BEARER.length)) : undefined;
  }

  async verify(token: string): Promise<VerifiedToken> {
    const hit = this.cached(token);
    if (hit) return hit;
    this.stats.misses++;
    const { sub, sid, exp } = await verifyAccessToken(token, this.keys, this.options);
    if (this.options.revocations?.isRevoked(sid)) throw REVOKED();
    const verified: VerifiedToken = { token, sub, sid, exp, body: JSON.stringify({ sub, sid, exp }) };
    this.remember(token, verified);
    return verified;
  }

  private remember(token: string, verified: VerifiedToken): void {
    if (this.options.cacheSize === 0) return;
    const index = indexOf(token);
    if (!this.cache.has(index) && this.cache.size >= this.options.cacheSize) {
      // Oldest first: Map iteration order is insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(index, verified);
  }
}
