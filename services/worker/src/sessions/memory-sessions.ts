import type { NewSession, RotateOutcome, SessionStore } from './types.ts';
import { REPLACED_HASHES_KEPT } from './types.ts';

interface Entry {
  userId: string;
  email: string;
  current: string;
  replaced: string[];
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
    this.sessions.set(session.sid, { userId: session.userId, email: session.email, current: session.refreshHash, replaced: [], expiresAt: Date.now() + ttlMs });
  }

  async rotate(sid: string, presentedHash: string, nextHash: string, ttlMs: number): Promise<RotateOutcome> {
    const entry = this.live(sid);
    if (!entry) return { status: 'unknown' };
    if (entry.current === presentedHash) {
      entry.replaced.unshift(presentedHash);
      entry.replaced.length = Math.min(entry.replaced.length, REPLACED_HASHES_KEPT);
      entry.current = nextHash;
      entry.expiresAt = Date.now() + ttlMs;
      return { status: 'rotated', userId: entry.userId, email: entry.email };
    }
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

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
