import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Result } from '../protocol.ts';
import { createRedis, createSubscriber } from '../redis.ts';
import { clientKeyOf, RESULT_TTL_MS, type ResultBus, type ResultHandler } from './types.ts';

/**
 * Keep-and-publish in one atomic step: the result is kept only if this request has none yet, and
 * published only then, so a redelivered command can never answer a client twice. A WebSocket
 * request's result is also findable by (connectionId, client id): KEYS[2] then names the requestId.
 */
const DELIVER_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if KEYS[2] then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[2]) end
  redis.call('PUBLISH', ARGV[3], ARGV[1])
  return 1
end
return 0`;

type DeliverFn = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<number>;

/**
 * Redis driver of ResultBus: one channel per node (`<ns>:node:<nodeId>`), one SUBSCRIBE per node, no
 * pattern subscriptions: a result costs one PUBLISH however many nodes there are.
 */
export class RedisResultBus implements ResultBus {
  private readonly commands: Redis;
  private subscriber: Redis | undefined;
  private subscribing = false;
  private readonly deliverScript: DeliverFn;

  constructor(
    private readonly url: string,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {
    this.commands = createRedis(url, log, `${namespace}-results`);
    // No fixed key count: a WebSocket request's result names a second key.
    this.commands.defineCommand('authgateDeliver', { lua: DELIVER_SCRIPT });
    this.deliverScript = (this.commands as unknown as { authgateDeliver: DeliverFn }).authgateDeliver.bind(this.commands);
  }

  private key(requestId: string): string {
    return `${this.namespace}:result:${requestId}`;
  }

  /** The connectionId is as unguessable as a requestId: the key can only be named by its connection. */
  private clientKey(connectionId: string, clientId: string): string {
    return `${this.namespace}:result-of:${connectionId}:${clientId}`;
  }

  channelOf(nodeId: string): string {
    return `${this.namespace}:node:${nodeId}`;
  }

  async deliver(result: Result): Promise<boolean> {
    const payload = JSON.stringify(result);
    const channel = this.channelOf(result.replyTo.nodeId);
    const client = clientKeyOf(result);
    const published = client
      ? await this.deliverScript(2, this.key(result.requestId), this.clientKey(client.connectionId, client.clientId), payload, RESULT_TTL_MS, channel, result.requestId)
      : await this.deliverScript(1, this.key(result.requestId), payload, RESULT_TTL_MS, channel);
    return published === 1;
  }

  async subscribe(nodeId: string, onResult: ResultHandler, onResync?: () => void): Promise<void> {
    if (this.subscribing) throw new Error('this result bus already listens on a node channel');
    this.subscribing = true;
    const onMessage = (_channel: string, message: string) => {
      let result: Result;
      try {
        result = JSON.parse(message) as Result;
      } catch {
        this.log.error('unparseable result dropped');
        return;
      }
      onResult(result);
    };
    // After a reconnect, once the channel is subscribed again: collect what was published in the gap.
    this.subscriber = await createSubscriber(this.url, this.log, `${this.namespace}-sub-${nodeId}`, [this.channelOf(nodeId)], onMessage, () => onResync?.());
  }

  async collect(requestIds: string[]): Promise<Result[]> {
    if (requestIds.length === 0) return [];
    const values = await this.commands.mget(requestIds.map((id) => this.key(id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Result);
  }

  async collectForClient(connectionId: string, clientId: string): Promise<Result | undefined> {
    const requestId = await this.commands.get(this.clientKey(connectionId, clientId));
    if (!requestId) return undefined;
    const [result] = await this.collect([requestId]);
    return result && result.replyTo.connectionId === connectionId ? result : undefined;
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.commands.ping()) === 'PONG' && (!this.subscribing || this.subscriber?.status === 'ready');
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    await this.commands.quit().catch(() => this.commands.disconnect());
  }
}
