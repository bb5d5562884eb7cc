import {
  codeDigest,
  completeTokenDigest,
  sameDigest,
  verificationKey,
  type CodeOutcome,
  type CompleteOutcome,
  type Decision,
  type DecideOutcome,
  type DeviceVerifications,
  type PendingSignIn,
} from './verifications.ts';

interface Entry {
  signIn: PendingSignIn;
  state: 'pending' | Decision | 'completed';
  /** The request the sign-in was handed out to (state `completed`). */
  completedBy?: string;
  code: string;
  /** The completeToken's digest: only its holder completes or gives the code. */
  completeToken: string;
  triesLeft: number;
  expiresAt: number;
}

/** The all-in-one shape's driver: the same states and steps as the Redis driver, in the process. */
export class MemoryDeviceVerifications implements DeviceVerifications {
  private readonly entries = new Map<string, Entry>();
  private sweptAt = 0;

  async open(verificationId: string, completeToken: string, signIn: PendingSignIn, code: string, options: { ttlMs: number; tries: number }): Promise<void> {
    this.sweep();
    this.entries.set(verificationKey(verificationId), {
      signIn: structuredClone(signIn),
      state: 'pending',
      code: codeDigest(verificationId, code),
      completeToken: completeTokenDigest(completeToken),
      triesLeft: options.tries,
      expiresAt: Date.now() + options.ttlMs,
    });
  }

  async decide(verificationId: string, userId: string, decision: Decision): Promise<DecideOutcome> {
    const entry = this.live(verificationId);
    // Another account's verification is not told apart from one that does not exist.
    if (!entry || entry.signIn.userId !== userId) return { outcome: 'missing' };
    if (entry.state === 'pending') {
      entry.state = decision;
      return { outcome: 'decided', signIn: structuredClone(entry.signIn) };
    }
    return entry.state === decision ? { outcome: 'unchanged' } : { outcome: 'missing' };
  }

  async accountOf(verificationId: string, completeToken: string): Promise<string | undefined> {
    return this.held(verificationId, completeToken)?.signIn.userId;
  }

  async complete(verificationId: string, completeToken: string, requestId: string): Promise<CompleteOutcome> {
    const entry = this.held(verificationId, completeToken);
    if (!entry) return { outcome: 'missing' };
    if (entry.state === 'completed')
      return entry.completedBy === requestId ? { outcome: 'approved', signIn: structuredClone(entry.signIn) } : { outcome: 'missing' };
    if (entry.state !== 'approved') return { outcome: entry.state };
    entry.state = 'completed';
    entry.completedBy = requestId;
    return { outcome: 'approved', signIn: structuredClone(entry.signIn) };
  }

  async verifyCode(verificationId: string, completeToken: string, code: string, requestId: string): Promise<CodeOutcome> {
    const entry = this.held(verificationId, completeToken);
    if (!entry) return { outcome: 'missing' };
    if (entry.state === 'completed')
      return entry.completedBy === requestId ? { outcome: 'verified', signIn: structuredClone(entry.signIn) } : { outcome: 'missing' };
    if (entry.state === 'denied') return { outcome: 'denied' };
    // Equal-length digests, compared in constant time.
    if (sameDigest(codeDigest(verificationId, code), entry.code)) {
      entry.state = 'completed';
      entry.completedBy = requestId;
      return { outcome: 'verified', signIn: structuredClone(entry.signIn) };
    }
    entry.triesLeft--;
    if (entry.triesLeft <= 0) this.entries.delete(verificationKey(verificationId));
    return { outcome: 'wrong', triesLeft: Math.max(0, entry.triesLeft), userId: entry.signIn.userId };
  }

  async endAllOf(userId: string): Promise<number> {
    let ended = 0;
    for (const [key, entry] of this.entries) {
      if (entry.signIn.userId !== userId) continue;
      this.entries.delete(key);
      if (entry.expiresAt > Date.now()) ended++;
    }
    return ended;
  }

  /** The live entry, if `completeToken` is its own: a wrong one finds nothing, as an unknown id does. */
  private held(verificationId: string, completeToken: string): Entry | undefined {
    const entry = this.live(verificationId);
    return entry && sameDigest(completeTokenDigest(completeToken), entry.completeToken) ? entry : undefined;
  }

  private live(verificationId: string): Entry | undefined {
    const key = verificationKey(verificationId);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Expired entries go when new ones come (a pass a minute at most): the map holds about one lifetime of sign-ins. */
  private sweep(): void {
    const now = Date.now();
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
