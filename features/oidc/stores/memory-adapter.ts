import { alreadyConsumed, CONSUMABLE, epochTime, GRANTABLE, type AdapterFactory, type Payload, type ProviderAdapter } from './types.ts';
import type { TtlMap } from './ttl-map.ts';

/**
 * The all-in-one shape's storage for the provider. Not oidc-provider's bundled MemoryAdapter: that one
 * is an LRU of 1000 entries and silently evicts live sessions and grants under load. Here an entry
 * lives until its own expiry. Copies go in and out, so nothing the provider holds is "in storage".
 */
class MemoryAdapter implements ProviderAdapter {
  constructor(
    private readonly model: string,
    private readonly store: TtlMap,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    if (GRANTABLE.has(this.model) && payload.grantId) {
      const membersKey = `grant:${payload.grantId}`;
      const members = this.store.get<Set<string>>(membersKey);
      if (members) {
        this.store.extend(membersKey, expiresIn);
        members.add(key);
      } else this.store.set(membersKey, new Set([key]), expiresIn);
    }
    if (this.model === 'Session' && payload.uid) this.store.set(`sessionUid:${payload.uid}`, id, expiresIn);
    if (payload.userCode) this.store.set(`userCode:${payload.userCode}`, id, expiresIn);
    this.store.set(key, structuredClone(payload), expiresIn);
  }

  async find(id: string): Promise<Payload | undefined> {
    const found = this.store.get<Payload>(this.key(id));
    return found ? structuredClone(found) : undefined;
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    const id = this.store.get<string>(`sessionUid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    const id = this.store.get<string>(`userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    const found = this.store.get<Payload>(this.key(id));
    if (!found) return;
    // The check and the mark in one synchronous step: a second consume of the same id is refused.
    if (CONSUMABLE.has(this.model) && found.consumed) throw alreadyConsumed(this.model);
    found.consumed = epochTime();
  }

  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    const found = this.store.get<Payload>(key);
    this.store.delete(key);
    if (!found) return;
    if (found.uid && this.store.get(`sessionUid:${found.uid}`) === id) this.store.delete(`sessionUid:${found.uid}`);
    if (found.userCode && this.store.get(`userCode:${found.userCode}`) === id) this.store.delete(`userCode:${found.userCode}`);
    if (found.grantId) this.store.get<Set<string>>(`grant:${found.grantId}`)?.delete(key);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const membersKey = `grant:${grantId}`;
    const members = this.store.get<Set<string>>(membersKey);
    this.store.delete(membersKey);
    for (const key of members ?? []) this.store.delete(key);
  }
}

export function memoryAdapterFactory(store: TtlMap): AdapterFactory {
  const adapters = new Map<string, MemoryAdapter>();
  return (model: string) => {
    let adapter = adapters.get(model);
    if (!adapter) adapters.set(model, (adapter = new MemoryAdapter(model, store)));
    return adapter;
  };
}
