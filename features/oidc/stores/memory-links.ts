import type { SessionLinks } from './links.ts';
import { TtlMap } from './ttl-map.ts';

/** The all-in-one shape's links: one process, so a claim is a key with an expiry in the same map. */
export class MemorySessionLinks implements SessionLinks {
  private readonly store = new TtlMap();

  async link(sid: string, uid: string, ttlSeconds: number): Promise<void> {
    const previous = this.store.get<string>(`suid:${uid}`);
    if (previous && previous !== sid) this.store.get<Set<string>>(`sid:${previous}`)?.delete(uid);
    const uids = this.store.get<Set<string>>(`sid:${sid}`);
    if (uids) {
      uids.add(uid);
      this.store.extend(`sid:${sid}`, ttlSeconds);
    } else this.store.set(`sid:${sid}`, new Set([uid]), ttlSeconds);
    this.store.set(`suid:${uid}`, sid, ttlSeconds);
  }

  async sidOf(uid: string): Promise<string | undefined> {
    return this.store.get<string>(`suid:${uid}`);
  }

  async claim(sid: string, leaseMs: number): Promise<string[] | undefined> {
    if (this.store.get(`ending:${sid}`)) return undefined;
    this.store.set(`ending:${sid}`, true, leaseMs / 1000);
    return [...(this.store.get<Set<string>>(`sid:${sid}`) ?? [])];
  }

  async release(sid: string, uids: readonly string[]): Promise<number> {
    const linked = this.store.get<Set<string>>(`sid:${sid}`);
    for (const uid of uids) {
      linked?.delete(uid);
      if (this.store.get(`suid:${uid}`) === sid) this.store.delete(`suid:${uid}`);
    }
    if (linked?.size === 0) this.store.delete(`sid:${sid}`);
    this.store.delete(`ending:${sid}`);
    return linked?.size ?? 0;
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
