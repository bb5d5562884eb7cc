import type { GraceSuccessor, NewSession, RotateOutcome, SessionStore } from './types.ts';
import { REPLACED_HASHES_KEPT } from './types.ts';

interface Entry {
  userId: string;
  email: string;
  current: string;
  replaced: string[];
  /** Sealed successors of tokens replaced within the grace window, by the replaced token's hash. */
  grace: Map<string, { sealed: string; until: number }>;
  expiresAt: number;
}

/** In-process SessionStore for the all-in-one mode, with the same rotation and reuse rules as Redis. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Entry>();
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

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
      userId: session.userId, email: session.email, current: session.refreshHash, replaced: [], grace: new Map(), expiresAt: Date.now() + ttlMs,
    });
  }

  async peek(sid: string): Promise<{ userId: string; email: string } | undefined> {
    const entry = this.live(sid);
    return entry && { userId: entry.userId, email: entry.email };
  }

  async rotate(sid: string, presentedHash: string, nextHash: string, ttlMs: number, successor?: GraceSuccessor): Promise<RotateOutcome> {
    const entry = this.live(sid);
    if (!entry) return { status: 'unknown' };
    const now = Date.now();
    if (entry.current === presentedHash) {
      entry.replaced.unshift(presentedHash);
      entry.replaced.length = Math.min(entry.replaced.length, REPLACED_HASHES_KEPT);
      entry.current = nextHash;
      entry.expiresAt = now + ttlMs;
      for (const [hash, kept] of entry.grace) if (kept.until <= now) entry.grace.delete(hash);
      if (successor && successor.graceMs > 0) entry.grace.set(presentedHash, { sealed: successor.sealed, until: now + successor.graceMs });
      return { status: 'rotated', userId: entry.userId, email: entry.email };
    }
    const kept = entry.grace.get(presentedHash);
    if (kept && kept.until > now) return { status: 'grace', userId: entry.userId, sealed: kept.sealed };
    if (entry.replaced.includes(presentedHash)) {
      this.sessions.delete(sid);
      return { status: 'reused', userId: entry.userId };
    }
    return { status: 'unknown' };
  }

  async revoke(sid: string, presentedHash: string): Promise<boolean> {
    const entry = this.live(sid);
    if (!entry || entry.current !== presentedHash) return false;
    this.sessions.delete(sid);
    return true;
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
