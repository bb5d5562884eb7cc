import { createHash, randomBytes } from 'node:crypto';

/**
 * The second step of a sign-in whose password was right (`mfa_required`): who it is for, kept under
 * the digest of its mfaToken until the token is used, runs out of attempts, or expires.
 */
export interface MfaChallenge {
  userId: string;
  deviceId?: string | undefined;
}

/** A challenge as one attempt at it sees it: `attempt` counts this one (1 for the first). */
export interface MfaChallengeAttempt extends MfaChallenge {
  attempt: number;
}

/**
 * Where pending challenges live: Redis (any worker may answer the verify) or memory (all-in-one).
 * Both drivers pass one contract suite (features/second-factor/test/challenges-contract.test.ts).
 */
export interface MfaChallengeStore {
  /** Keeps a new challenge for `ttlMs` under its token's digest. */
  create(tokenDigest: string, challenge: MfaChallenge, ttlMs: number): Promise<void>;
  /**
   * Counts one attempt before any code is checked, atomically, so that concurrent guesses cannot
   * share one count. Undefined when there is no such challenge (unknown, expired, used) or this attempt
   * is past `maxAttempts`; then it is gone for good.
   */
  attempt(tokenDigest: string, maxAttempts: number): Promise<MfaChallengeAttempt | undefined>;
  /** Ends it. True for the one caller that removed it: a token is used once, even by concurrent verifies. */
  take(tokenDigest: string): Promise<boolean>;
  /**
   * Ends every pending challenge of the account (its password was reset or changed, its second factor
   * turned off, or it was disabled): a sign-in begun with the old credentials cannot finish. How many ended.
   */
  endAllOf(userId: string): Promise<number>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** An mfaToken lives 5 minutes and takes at most 5 codes (docs/rest.md, second factor). */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;
export const MFA_TOKEN_MAX_ATTEMPTS = 5;

/** 256 random bits (≥ 128 asked by docs/rest.md), base64url. */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new mfaToken and the digest it is stored under; the token itself is kept nowhere. */
export function newMfaToken(): { token: string; digest: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, digest: mfaTokenDigest(token)! };
}

/**
 * SHA-256 of the token: a store that leaks gives no usable token. A fast hash is enough for 256 random
 * bits (nothing to guess). Undefined for a string that is not shaped like a token: no store lookup.
 */
export function mfaTokenDigest(token: string): string | undefined {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  return createHash('sha256').update(token).digest('base64url');
}

/** The all-in-one's store: one process, so a Map with expiry times is the whole of it. */
export class MemoryMfaChallengeStore implements MfaChallengeStore {
  private readonly entries = new Map<string, MfaChallenge & { attempts: number; expiresAt: number }>();

  async create(tokenDigest: string, challenge: MfaChallenge, ttlMs: number): Promise<void> {
    this.sweep();
    this.entries.set(tokenDigest, { userId: challenge.userId, deviceId: challenge.deviceId, attempts: 0, expiresAt: Date.now() + ttlMs });
  }

  async attempt(tokenDigest: string, maxAttempts: number): Promise<MfaChallengeAttempt | undefined> {
    const entry = this.entries.get(tokenDigest);
    if (!entry || entry.expiresAt <= Date.now()) {
      this.entries.delete(tokenDigest);
      return undefined;
    }
    entry.attempts += 1;
    if (entry.attempts > maxAttempts) {
      this.entries.delete(tokenDigest);
      return undefined;
    }
    return { userId: entry.userId, deviceId: entry.deviceId, attempt: entry.attempts };
  }

  async take(tokenDigest: string): Promise<boolean> {
    const entry = this.entries.get(tokenDigest);
    this.entries.delete(tokenDigest);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  async endAllOf(userId: string): Promise<number> {
    let ended = 0;
    for (const [digest, entry] of this.entries) {
      if (entry.userId !== userId) continue;
      this.entries.delete(digest);
      if (entry.expiresAt > Date.now()) ended++;
    }
    return ended;
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  /** Expired challenges that nobody came back for go when new ones are made: the map stays bounded by the logins of 5 minutes. */
  private sweep(): void {
    const now = Date.now();
    for (const [digest, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(digest);
  }
}
