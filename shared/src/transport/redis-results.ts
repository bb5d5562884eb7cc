import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Result } from '../protocol.ts';
import { createRedis, createSubscriber } from '../redis.ts';
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

/**
 * Collect-once: the kept result is returned and deleted in one step, only for the connection it was
 * addressed to. The key is left in place (an empty string), not removed, until its expiry: deliver's
 * SET NX still finds it, so a redelivered command cannot keep (and publish) a second result.
 */
const TAKE_SCRIPT = `
local kept = redis.call('GET', KEYS[1])
if not kept or kept == '' then return false end
local ok, result = pcall(cjson.decode, kept)
if not ok or type(result.replyTo) ~= 'table' or result.replyTo.connectionId ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], '', 'KEEPTTL')
return kept`;

type DeliverFn = (key: string, ...args: (string | number)[]) => Promise<number>;
type TakeFn = (key: string, connectionId: string) => Promise<string | null>;

/**
 * Redis driver of ResultBus: one channel per node (`<ns>:node:<nodeId>`), one SUBSCRIBE per node, no
 * pattern subscriptions: a result costs one PUBLISH however many nodes there are.
 */
export class RedisResultBus implements ResultBus {
  private readonly commands: Redis;
  private subscriber: Redis | undefined;
  private subscribing = false;
  private readonly deliverScript: DeliverFn;
  private readonly takeScript: TakeFn;

  constructor(
    private readonly url: string,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {
    this.commands = createRedis(url, log, `${namespace}-results`);
    this.commands.defineCommand('authgateDeliver', { lua: DELIVER_SCRIPT, numberOfKeys: 1 });
    this.commands.defineCommand('authgateTake', { lua: TAKE_SCRIPT, numberOfKeys: 1 });
    const scripts = this.commands as unknown as { authgateDeliver: DeliverFn; authgateTake: TakeFn };
    this.deliverScript = scripts.authgateDeliver.bind(this.commands);
    this.takeScript = scripts.authgateTake.bind(this.commands);
  }

  private key(requestId: string): string {
    return `${this.namespace}:result:${requestId}`;
  }

  channelOf(nodeId: string): string {
    return `${this.namespace}:node:${nodeId}`;
  }

  async deliver(result: Result): Promise<boolean> {
    const payload = JSON.stringify(result);
    const published = await this.deliverScript(this.key(result.requestId), payload, RESULT_TTL_MS, this.channelOf(result.replyTo.nodeId));
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
    // '' marks a result already taken by its client (TAKE_SCRIPT).
    return values.filter((v): v is string => v !== null && v !== '').map((v) => JSON.parse(v) as Result);
  }

  async answered(requestId: string): Promise<boolean> {
    return (await this.commands.exists(this.key(requestId))) === 1;
  }

  async take(requestId: string, connectionId: string): Promise<Result | undefined> {
    const kept = await this.takeScript(this.key(requestId), connectionId);
    return kept ? (JSON.parse(kept) as Result) : undefined;
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
