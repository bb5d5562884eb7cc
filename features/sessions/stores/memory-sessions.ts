import type { NewSession, RevokeOutcome, RotateOutcome, RotateRequest, SessionStore, SignedIn } from './sessions.ts';
import { REPLACED_HASHES_KEPT, ROTATIONS_REMEMBERED } from './sessions.ts';

interface Entry {
  userId: string;
  email: string;
  /** Empty when the login named no device: then a grace replay need not name one either. */
  device: string;
  current: string;
  signedIn: SignedIn;
  /** Replaced hashes and when each was replaced, oldest first (a Map keeps insertion order). */
  replaced: Map<string, number>;
  /** The successor of the token replaced last, while it is unused (it is dropped when `current` moves on). */
  grace?: { replacedHash: string; sealed: string; until: number } | undefined;
  /** The requestIds of the last ROTATIONS_REMEMBERED rotations, newest first. */
  rotatedBy: string[];
  expiresAt: number;
}

/** In-process SessionStore for the all-in-one mode, with the same rotation and reuse rules as Redis. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Entry>();
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

  constructor(private readonly replacedKept = REPLACED_HASHES_KEPT) {}

  private sweep(): void {
    const now = Date.now();
    for (const [sid, entry] of this.sessions) if (entry.expiresAt <= now) this.sessions.delete(sid);
  }

  private live(sid: string): Entry | undefined {
    const entry = this.sessions.get(sid);
    if (entry && entry.expiresAt > Date.now()) return entry;
    this.sessions.delete(sid);
    return undefined;
  }

  async create(session: NewSession, ttlMs: number): Promise<void> {
    this.sessions.set(session.sid, {
      userId: session.userId,
      email: session.email,
      device: session.deviceId ?? '',
      current: session.refreshHash,
      signedIn: session.signedIn,
      replaced: new Map(),
      rotatedBy: [],
      expiresAt: Date.now() + ttlMs,
    });
  }

  async peek(sid: string): Promise<{ userId: string; email: string } | undefined> {
    const entry = this.live(sid);
    return entry && { userId: entry.userId, email: entry.email };
  }

  async rotate(request: RotateRequest): Promise<RotateOutcome> {
    const { sid, presentedHash, nextHash, ttlMs, deviceId, successor, requestId } = request;
    const entry = this.live(sid);
    if (!entry) return { status: 'unknown' };
    const now = Date.now();
    // The command that rotated it, run again: its successor if kept, else nothing to answer.
    if (requestId && entry.rotatedBy.includes(requestId)) {
      const grace = entry.grace;
      return grace && grace.replacedHash === presentedHash
        ? { status: 'grace', userId: entry.userId, email: entry.email, sealed: grace.sealed, signedIn: entry.signedIn }
        : { status: 'duplicate' };
    }
    if (entry.current === presentedHash) {
      if (requestId) entry.rotatedBy = [requestId, ...entry.rotatedBy].slice(0, ROTATIONS_REMEMBERED);
      this.remember(entry, presentedHash, now, ttlMs);
      entry.current = nextHash;
      entry.expiresAt = now + ttlMs;
      // The previous grace successor is gone either way, since it has now been used.
      entry.grace = successor && successor.graceMs > 0 ? { replacedHash: presentedHash, sealed: successor.sealed, until: now + successor.graceMs } : undefined;
      return { status: 'rotated', userId: entry.userId, email: entry.email, signedIn: entry.signedIn };
    }
    const grace = entry.grace;
    // Check: the token replaced last, its successor unused, within the window, and, where the session
    // has a device, presented by that device.
    if (grace && grace.replacedHash === presentedHash && grace.until > now && (entry.device === '' || deviceId === entry.device)) {
      return { status: 'grace', userId: entry.userId, email: entry.email, sealed: grace.sealed, signedIn: entry.signedIn };
    }
    if (entry.replaced.has(presentedHash)) {
      this.sessions.delete(sid);
      return { status: 'reused', userId: entry.userId };
    }
    return { status: 'unknown' };
  }

  /** Keeps a replaced hash for a refresh token's lifetime, at most `replacedKept` of them. */
  private remember(entry: Entry, hash: string, now: number, ttlMs: number): void {
    entry.replaced.set(hash, now);
    for (const [old, at] of entry.replaced) {
      if (at > now - ttlMs && entry.replaced.size <= this.replacedKept) break;
      entry.replaced.delete(old);
    }
  }

  async revoke(sid: string, presentedHash: string): Promise<RevokeOutcome> {
    const entry = this.live(sid);
    if (!entry) return { status: 'unknown' };
    if (entry.current === presentedHash) {
      this.sessions.delete(sid);
      return { status: 'revoked', userId: entry.userId };
    }
    if (entry.replaced.has(presentedHash)) {
      this.sessions.delete(sid);
      return { status: 'reused', userId: entry.userId };
    }
    return { status: 'unknown' };
  }

  async end(sid: string): Promise<void> {
    this.sessions.delete(sid);
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
