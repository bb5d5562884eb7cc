import { defineScript } from '../redis-script.ts';
import type { Logger } from '../logger.ts';
import { connectorOf, type RedisClient, type RedisConnector, type RedisSource, type RedisSubscription } from '../redis.ts';
import { accountEventSchema, PRESENCE_TTL_MS, type AccountEventHandler, type AccountEvent, type LiveEvents } from './types.ts';

/**
 * Publish to every edge present for the account, in one round trip: the presence sorted set
 * (member = nodeId, score = expiry) is pruned of expired edges, then one PUBLISH per live edge on its
 * own channel. Returns how many edges that was. One Redis server only: channels are not keys there.
 */
const PUBLISH_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local nodes = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, node in ipairs(nodes) do
  redis.call('PUBLISH', ARGV[2] .. '{' .. node .. '}', ARGV[3])
end
return #nodes`;

/**
 * A Redis Cluster: each edge's channel lies in that edge's slot, so a script on the presence key's
 * slot cannot SPUBLISH to them. It prunes and lists the present edges; the client then sends one
 * SPUBLISH per edge, each to the shard owning that edge's channel.
 */
const PRESENT_NODES_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

type PublishFn = (presenceKey: string, now: number, channelPrefix: string, payload: string) => Promise<number>;
type PresentNodesFn = (presenceKey: string, now: number) => Promise<string[]>;

/** An edge's live channel: its node id as hash tag, the slot of its result channel too (one shard per edge). */
export function liveChannelOf(namespace: string, nodeId: string): string {
  return `${namespace}:live:{${nodeId}}`;
}

/**
 * Redis driver of LiveEvents: presence per account in `<ns>:presence:<userId>`, one channel per edge
 * (`<ns>:live:{<nodeId>}`), one subscription per edge, no pattern subscriptions.
 */
export class RedisLiveEvents implements LiveEvents {
  private readonly redis: RedisConnector;
  private readonly commands: RedisClient;
  private subscription: RedisSubscription | undefined;
  private readonly publishScript: PublishFn;
  private readonly presentNodesScript: PresentNodesFn;

  constructor(
    source: RedisSource,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly ttlMs = PRESENCE_TTL_MS,
  ) {
    this.redis = connectorOf(source, log);
    this.commands = this.redis.client(`${namespace}-live`);
    this.publishScript = defineScript<PublishFn>(this.commands, 'authgateLivePublishV2', 1, PUBLISH_SCRIPT);
    this.presentNodesScript = defineScript<PresentNodesFn>(this.commands, 'authgateLivePresentNodes', 1, PRESENT_NODES_SCRIPT);
  }

  private presenceKey(userId: string): string {
    return `${this.namespace}:presence:${userId}`;
  }

  private get channelPrefix(): string {
    return `${this.namespace}:live:`;
  }

  async present(nodeId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const until = Date.now() + this.ttlMs;
    // One account's two commands in a MULTI (one slot); the accounts sent together, not one after
    // another (a cluster client groups them per node, a pipeline could not span nodes).
    await Promise.all(
      userIds.map((userId) => this.commands.multi().zadd(this.presenceKey(userId), until, nodeId).pexpire(this.presenceKey(userId), this.ttlMs).exec()),
    );
  }

  async absent(nodeId: string, userId: string): Promise<void> {
    await this.commands.zrem(this.presenceKey(userId), nodeId);
  }

  async publish(event: AccountEvent): Promise<number> {
    const payload = JSON.stringify(event);
    if (!this.redis.cluster) return this.publishScript(this.presenceKey(event.userId), Date.now(), this.channelPrefix, payload);
    const nodes = await this.presentNodesScript(this.presenceKey(event.userId), Date.now());
    const command = this.redis.publishCommand === 'SPUBLISH' ? 'spublish' : 'publish';
    await Promise.all(nodes.map((nodeId) => this.commands[command](liveChannelOf(this.namespace, nodeId), payload)));
    return nodes.length;
  }

  async publishToConnection(nodeId: string, connectionId: string, event: Omit<AccountEvent, 'connectionId' | 'sessionId' | 'closeSession'>): Promise<void> {
    const command = this.redis.cluster && this.redis.publishCommand === 'SPUBLISH' ? 'spublish' : 'publish';
    await this.commands[command](liveChannelOf(this.namespace, nodeId), JSON.stringify({ ...event, connectionId }));
  }

  async follow(nodeId: string, handler: AccountEventHandler): Promise<void> {
    const onMessage = (_channel: string, message: string) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        this.log.error('unparseable live event dropped');
        return;
      }
      const event = accountEventSchema.safeParse(parsed);
      if (event.success) handler(event.data);
      else this.log.error('malformed live event dropped');
    };
    // Live events are fire-and-forget: a gap while resubscribing loses events nobody can re-send, and
    // the state they announce (a revoked session) is enforced by the token checks regardless.
    this.subscription = await this.redis.subscribe(`${this.namespace}-live-${nodeId}`, [liveChannelOf(this.namespace, nodeId)], onMessage, () => {});
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.commands.ping()) === 'PONG' && (!this.subscription || this.subscription.ready());
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.subscription?.close();
    await this.commands.quit().catch(() => this.commands.disconnect());
  }
}
