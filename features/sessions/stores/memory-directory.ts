import { newestFirst, type SessionDirectory, type SessionInfo, type SessionSeen } from './directory.ts';

/** In-process SessionDirectory for the all-in-one shape, with Redis's semantics (expiry included). */
export class MemorySessionDirectory implements SessionDirectory {
  private readonly byUser = new Map<string, Map<string, SessionInfo>>();

  async add(userId: string, session: SessionInfo): Promise<void> {
    let sessions = this.byUser.get(userId);
    if (!sessions) {
      sessions = new Map();
      this.byUser.set(userId, sessions);
    }
    sessions.set(session.id, { ...session });
  }

  async list(userId: string): Promise<SessionInfo[]> {
    const sessions = this.byUser.get(userId);
    if (!sessions) return [];
    const now = Date.now();
    for (const [sid, session] of sessions) if (session.expiresAt <= now) sessions.delete(sid);
    return [...sessions.values()].map((s) => ({ ...s })).sort(newestFirst);
  }

  async remove(userId: string, sid: string): Promise<boolean> {
    return this.byUser.get(userId)?.delete(sid) ?? false;
  }

  async touch(seen: readonly SessionSeen[]): Promise<void> {
    for (const { userId, sid, at } of seen) {
      const session = this.byUser.get(userId)?.get(sid);
      if (session && at > session.lastUsedAt) session.lastUsedAt = at;
    }
  }

  async extend(userId: string, sid: string, expiresAt: number, at: number): Promise<void> {
    const session = this.byUser.get(userId)?.get(sid);
    if (!session) return;
    session.expiresAt = expiresAt;
    if (at > session.lastUsedAt) session.lastUsedAt = at;
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}
