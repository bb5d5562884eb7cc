import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Result } from '../protocol.ts';
import { createRedis } from '../redis.ts';
import { RESULT_TTL_MS, type ResultBus, type ResultHandler } from './types.ts';

/**
 * Keep-and-publish in one atomic step: the result is kept only if this request has none yet, and
 * published only then, so a redelivered command can never answer a client twice.
 */
const DELIVER_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('PUBLISH', ARGV[3], ARGV[1])
  return 1
end
return 0`;

type DeliverFn = (key: string, payload: string, ttlMs: number, channel: string) => Promise<number>;

/**
 * Redis driver of ResultBus: one channel per node (`<ns>:node:<nodeId>`), one SUBSCRIBE per node, no
 * pattern subscriptions: a result costs one PUBLISH however many nodes there are.
 */
export class RedisResultBus implements ResultBus {
  private readonly commands: Redis;
  private subscriber: Redis | undefined;
  private readonly deliverScript: DeliverFn;

  constructor(
    private readonly url: string,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {
    this.commands = createRedis(url, log, `${namespace}-results`);
    this.commands.defineCommand('authgateDeliver', { numberOfKeys: 1, lua: DELIVER_SCRIPT });
    this.deliverScript = (this.commands as unknown as { authgateDeliver: DeliverFn }).authgateDeliver.bind(this.commands);
  }

  private key(requestId: string): string {
    return `${this.namespace}:result:${requestId}`;
  }

  channelOf(nodeId: string): string {
    return `${this.namespace}:node:${nodeId}`;
  }

  async deliver(result: Result): Promise<boolean> {
    const published = await this.deliverScript(this.key(result.requestId), JSON.stringify(result), RESULT_TTL_MS, this.channelOf(result.replyTo.nodeId));
    return published === 1;
  }

  async subscribe(nodeId: string, onResult: ResultHandler, onResync?: () => void): Promise<void> {
    if (this.subscriber) throw new Error('this result bus already listens on a node channel');
    const subscriber = createRedis(this.url, this.log, `${this.namespace}-sub-${nodeId}`, {
      // A subscriber must never give up: results arrive only through it.
      maxRetriesPerRequest: null,
    });
    this.subscriber = subscriber;
    const channel = this.channelOf(nodeId);
    subscriber.on('message', (_channel: string, message: string) => {
      let result: Result;
      try {
        result = JSON.parse(message) as Result;
      } catch {
        this.log.error('unparseable result dropped');
        return;
      }
      onResult(result);
    });
    let subscribedOnce = false;
    // ioredis re-subscribes by itself after a reconnect; whatever was published in between is gone.
    subscriber.on('ready', () => {
      if (subscribedOnce) onResync?.();
    });
    await subscriber.subscribe(channel);
    subscribedOnce = true;
  }

  async collect(requestIds: string[]): Promise<Result[]> {
    if (requestIds.length === 0) return [];
    const values = await this.commands.mget(requestIds.map((id) => this.key(id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Result);
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
