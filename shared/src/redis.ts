import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/** A client of one Redis or of a Redis Cluster: the drivers use only commands both answer alike. */
export type RedisClient = Redis | Cluster;

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/** A subscription that follows its channels through reconnects and, in a cluster, failovers. */
export interface RedisSubscription {
  ready(): boolean;
  close(): void;
}

export type MessageHandler = (channel: string, message: string) => void;

/**
 * ioredis reconnects by itself; commands issued meanwhile wait in its offline queue for at most one
 * retry, so a caller learns within a bounded time that Redis is away instead of hanging.
 */
export function createRedis(url: string, log: Logger, name: string, overrides: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    ...overrides,
  });
  let wasReady = false;
  redis.on('ready', () => {
    if (wasReady) log.info({ name }, 'redis reconnected');
    wasReady = true;
  });
  redis.on('error', (err) => log.warn({ err, name }, 'redis error'));
  return redis;
}

/**
 * A subscriber connection that never gives up and says when a gap has closed. ioredis reconnects and
 * would re-subscribe by itself, but it announces `ready` without waiting for Redis to confirm the
 * SUBSCRIBE: a fetch of "what was missed" started then travels on another connection and may run
 * first, and whatever is published in between would be lost. Here the channels are subscribed again,
 * Redis confirms, and only then `onResubscribed` runs.
 */
export async function createSubscriber(
  url: string,
  log: Logger,
  name: string,
  channels: string[],
  onMessage: MessageHandler,
  onResubscribed: () => void,
): Promise<Redis> {
  const subscriber = createRedis(url, log, name, { maxRetriesPerRequest: null, autoResubscribe: false });
  subscriber.on('message', onMessage);
  let subscribedOnce = false;
  subscriber.on('ready', () => {
    if (!subscribedOnce) return;
    subscriber.subscribe(...channels).then(
      () => onResubscribed(),
      (err: unknown) => log.warn({ err, name }, 'redis resubscribe failed (the next reconnect tries again)'),
    );
  });
  await subscriber.subscribe(...channels);
  subscribedOnce = true;
  return subscriber;
}

/** How node channels travel in a cluster: `sharded` (SPUBLISH, the owning shard only) or `plain` (PUBLISH, every shard). */
export type ClusterPubSub = 'sharded' | 'plain';

/**
 * Where a driver's Redis is: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). Built by
 * the composition module only; a driver asks it for clients and subscriptions and never reads a setting.
 */
export interface RedisConnector {
  /** True for a Redis Cluster: keys a script touches must share a slot, and pipelines span no nodes. */
  readonly cluster: boolean;
  /** PUBLISH, or SPUBLISH when node channels are sharded: the channel is then the script's KEYS entry. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';
  client(name: string, options?: { enableOfflineQueue?: boolean }): RedisClient;
  /** Every channel of one call must hash to one slot in a cluster (a hash tag): one shard serves them. */
  subscribe(name: string, channels: string[], onMessage: MessageHandler, onResubscribed: () => void): Promise<RedisSubscription>;
}

export class SingleRedis implements RedisConnector {
  readonly cluster = false;
  readonly publishCommand = 'PUBLISH';

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  client(name: string, options: { enableOfflineQueue?: boolean } = {}): Redis {
    return createRedis(this.url, this.log, name, options);
  }

  async subscribe(name: string, channels: string[], onMessage: MessageHandler, onResubscribed: () => void): Promise<RedisSubscription> {
    const subscriber = await createSubscriber(this.url, this.log, name, channels, onMessage, onResubscribed);
    return { ready: () => subscriber.status === 'ready', close: () => subscriber.disconnect() };
  }
}

/**
 * A Redis Cluster through ioredis's Cluster client. Node channels use sharded pub/sub by default: a
 * message stays on the shard owning its channel instead of crossing the cluster bus to every node.
 */
export class RedisCluster implements RedisConnector {
  readonly cluster = true;
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';

  constructor(
    private readonly nodes: readonly ClusterNodeAddress[],
    private readonly log: Logger,
    private readonly pubsub: ClusterPubSub = 'sharded',
    private readonly password?: string,
  ) {
    this.publishCommand = pubsub === 'sharded' ? 'SPUBLISH' : 'PUBLISH';
  }

  client(name: string, options: { enableOfflineQueue?: boolean } = {}, extra: { shardedSubscribers?: boolean } = {}): Cluster {
    const offlineQueue = options.enableOfflineQueue ?? true;
    const cluster = new Cluster([...this.nodes], {
      redisOptions: { connectionName: name, maxRetriesPerRequest: 1, ...(this.password ? { password: this.password } : {}) },
      enableOfflineQueue: offlineQueue,
      // No auto-pipelining: it would send a MULTI ahead of single commands issued before it (presence
      // withdrawn and given again must reach Redis in that order). Commands sent together still go
      // out without waiting for each other's answers.
      enableAutoPipelining: false,
      // A failover is noticed by the periodic refresh too, not only by a failed command.
      slotsRefreshInterval: 1_000,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
      ...extra,
    });
    let wasReady = false;
    cluster.on('ready', () => {
      if (wasReady) this.log.info({ name }, 'redis cluster reconnected');
      wasReady = true;
    });
    cluster.on('error', (err) => this.log.warn({ err, name }, 'redis cluster error'));
    return cluster;
  }

  async subscribe(name: string, channels: string[], onMessage: MessageHandler, onResubscribed: () => void): Promise<RedisSubscription> {
    if (this.pubsub === 'plain') {
      // Only for measuring what sharding saves (bench h): no confirmed resubscription after a failover.
      const subscriber = this.client(name);
      subscriber.on('message', onMessage);
      await subscriber.subscribe(...channels);
      return { ready: () => subscriber.status === 'ready', close: () => subscriber.disconnect() };
    }
    const subscriber = this.client(name, {}, { shardedSubscribers: true });
    subscriber.on('smessage', onMessage);
    let subscribedOnce = false;
    // ioredis re-sends SSUBSCRIBE to the shard's new master after a failover and then says
    // `subscribersReady`, without waiting for the confirmation. Subscribing again here and awaiting it
    // (the same connection, so in order) means the channel is live before the gap is collected.
    // While a master is down, every slots refresh says it again: one confirmation in flight at a time,
    // and one more after it if the topology moved meanwhile.
    let confirming = false;
    let again = false;
    const confirm = () => {
      if (confirming) {
        again = true;
        return;
      }
      confirming = true;
      subscriber
        .ssubscribe(...channels)
        .then(
          () => onResubscribed(),
          (err: unknown) => this.log.warn({ err, name }, 'redis cluster resubscribe failed (the next slots refresh tries again)'),
        )
        .finally(() => {
          confirming = false;
          if (again) {
            again = false;
            confirm();
          }
        });
    };
    subscriber.on('subscribersReady', () => {
      if (subscribedOnce) confirm();
    });
    await subscriber.ssubscribe(...channels);
    subscribedOnce = true;
    return { ready: () => subscriber.status === 'ready', close: () => subscriber.disconnect() };
  }
}

/** Drivers accept a connector or, for a single server, its URL (tests build them that way). */
export type RedisSource = string | RedisConnector;

export function connectorOf(source: RedisSource, log: Logger): RedisConnector {
  return typeof source === 'string' ? new SingleRedis(source, log) : source;
}

/** `host:port,host:port` (REDIS_CLUSTER_NODES) as addresses; IPv6 hosts in brackets. */
export function parseClusterNodes(list: readonly string[]): ClusterNodeAddress[] {
  return list.map((entry) => {
    const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(entry);
    if (!match) throw new Error(`not a host:port: ${entry}`);
    return { host: match[1]!, port: Number(match[2]) };
  });
}
