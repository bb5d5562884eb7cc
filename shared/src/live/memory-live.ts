import { PRESENCE_TTL_MS, type AccountEvent, type AccountEventHandler, type LiveEvents } from './types.ts';

/**
 * The all-in-one shape's driver of LiveEvents: presence and delivery in the process, with the same
 * semantics as Redis (presence expires, events go only to nodes present for the account, handlers run
 * on a later tick as after a network hop).
 */
export class MemoryLiveEvents implements LiveEvents {
  /** userId → nodeId → presence expiry (epoch ms). */
  private readonly presence = new Map<string, Map<string, number>>();
  private readonly handlers = new Map<string, AccountEventHandler>();

  constructor(private readonly ttlMs = PRESENCE_TTL_MS) {}

  async present(nodeId: string, userIds: readonly string[]): Promise<void> {
    const until = Date.now() + this.ttlMs;
    for (const userId of userIds) {
      let nodes = this.presence.get(userId);
      if (!nodes) {
        nodes = new Map();
        this.presence.set(userId, nodes);
      }
      nodes.set(nodeId, until);
    }
  }

  async absent(nodeId: string, userId: string): Promise<void> {
    const nodes = this.presence.get(userId);
    nodes?.delete(nodeId);
    if (nodes?.size === 0) this.presence.delete(userId);
  }

  async publish(event: AccountEvent): Promise<number> {
    const nodes = this.presence.get(event.userId);
    if (!nodes) return 0;
    const now = Date.now();
    let published = 0;
    for (const [nodeId, until] of nodes) {
      if (until <= now) {
        nodes.delete(nodeId);
        continue;
      }
      const handler = this.handlers.get(nodeId);
      // A copy, as if it had crossed the wire: no receiver shares an object with the publisher.
      if (handler) setImmediate(handler, structuredClone(event));
      published++;
    }
    return published;
  }

  async publishToConnection(nodeId: string, connectionId: string, event: Omit<AccountEvent, 'connectionId' | 'sessionId' | 'closeSession'>): Promise<void> {
    const handler = this.handlers.get(nodeId);
    if (handler) setImmediate(handler, structuredClone({ ...event, connectionId }));
  }

  async follow(nodeId: string, handler: AccountEventHandler): Promise<void> {
    this.handlers.set(nodeId, handler);
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
