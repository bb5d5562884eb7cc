import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { createRedis, createSubscriber } from '../redis.ts';
import { accountEventSchema, PRESENCE_TTL_MS, type AccountEventHandler, type AccountEvent, type LiveEvents } from './types.ts';

/**
 * Publish to every edge present for the account, in one round trip: the presence sorted set
 * (member = nodeId, score = expiry) is pruned of expired edges, then one PUBLISH per live edge on its
 * own channel. Returns how many edges that was.
 */
const PUBLISH_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local nodes = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, node in ipairs(nodes) do
  redis.call('PUBLISH', ARGV[2] .. node, ARGV[3])
end
return #nodes`;

type PublishFn = (presenceKey: string, now: number, channelPrefix: string, payload: string) => Promise<number>;

/**
 * Redis driver of LiveEvents: presence per account in `<ns>:presence:<userId>`, one channel per edge
 * (`<ns>:live:<nodeId>`), one SUBSCRIBE per edge, no pattern subscriptions.
 */
export class RedisLiveEvents implements LiveEvents {
  private readonly commands: Redis;
  private subscriber: Redis | undefined;
  private readonly publishScript: PublishFn;

  constructor(
    private readonly url: string,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly ttlMs = PRESENCE_TTL_MS,
  ) {
    this.commands = createRedis(url, log, `${namespace}-live`);
    this.commands.defineCommand('authgateLivePublish', { numberOfKeys: 1, lua: PUBLISH_SCRIPT });
    this.publishScript = (this.commands as unknown as { authgateLivePublish: PublishFn }).authgateLivePublish.bind(this.commands);
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
    const pipeline = this.commands.pipeline();
    for (const userId of userIds) {
      pipeline.zadd(this.presenceKey(userId), until, nodeId);
      pipeline.pexpire(this.presenceKey(userId), this.ttlMs);
    }
    await pipeline.exec();
  }

  async absent(nodeId: string, userId: string): Promise<void> {
    await this.commands.zrem(this.presenceKey(userId), nodeId);
  }

  async publish(event: AccountEvent): Promise<number> {
    return this.publishScript(this.presenceKey(event.userId), Date.now(), this.channelPrefix, JSON.stringify(event));
  }

  async publishToConnection(nodeId: string, connectionId: string, event: Omit<AccountEvent, 'connectionId' | 'sessionId' | 'closeSession'>): Promise<void> {
    await this.commands.publish(`${this.channelPrefix}${nodeId}`, JSON.stringify({ ...event, connectionId }));
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
    this.subscriber = await createSubscriber(this.url, this.log, `${this.namespace}-live-${nodeId}`, [`${this.channelPrefix}${nodeId}`], onMessage, () => {});
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.commands.ping()) === 'PONG' && (!this.subscriber || this.subscriber.status === 'ready');
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    await this.commands.quit().catch(() => this.commands.disconnect());
  }
}
