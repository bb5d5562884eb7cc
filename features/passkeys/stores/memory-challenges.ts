import { CHALLENGE_KEY, type ChallengePurpose, type PasskeyChallengeStore, type PendingChallenge } from './challenges.ts';

/**
 * The all-in-one's challenge store: one process, so a Map with expiry times. Bounded: options are
 * asked without an account, so past `maxEntries` live challenges a new one is refused (the caller
 * answers `rate_limited`) instead of memory growing; expired ones are swept before that is decided.
 */
export class MemoryPasskeyChallenges implements PasskeyChallengeStore {
  private readonly entries = new Map<string, PendingChallenge & { expiresAt: number }>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async put(purpose: ChallengePurpose, key: string, pending: PendingChallenge, ttlMs: number): Promise<boolean> {
    if (this.entries.size >= this.maxEntries) this.sweep();
    if (this.entries.size >= this.maxEntries) return false;
    this.entries.set(`${purpose}:${key}`, { challenge: pending.challenge, userId: pending.userId, expiresAt: this.now() + ttlMs });
    return true;
  }

  async take(purpose: ChallengePurpose, key: string): Promise<PendingChallenge | undefined> {
    if (!CHALLENGE_KEY.test(key)) return undefined;
    const entry = this.entries.get(`${purpose}:${key}`);
    if (!entry) return undefined;
    this.entries.delete(`${purpose}:${key}`);
    if (entry.expiresAt <= this.now()) return undefined;
    return { challenge: entry.challenge, ...(entry.userId === undefined ? {} : { userId: entry.userId }) };
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
