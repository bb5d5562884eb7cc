import { defineScript } from '../redis-script.ts';
import { nodeOfConnection } from '../ids.ts';
import type { Logger } from '../logger.ts';
import type { Result } from '../protocol.ts';
import { connectorOf, type RedisClient, type RedisConnector, type RedisSource, type RedisSubscription } from '../redis.ts';
import { RESULT_TTL_MS, type ResultBus, type ResultHandler } from './types.ts';

/**
 * Keep-and-publish in one atomic step: the result is kept only if this request has none yet, and
 * published only then, so a redelivered command can never answer a client twice. KEYS[1] the result,
 * KEYS[2] its node's channel: both carry the node's hash tag, so in a Redis Cluster the script touches
 * one slot and SPUBLISH (whose channel must be a declared key of that slot) stays on one shard.
 */
const deliverScript = (publish: string) => `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('${publish}', KEYS[2], ARGV[1])
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

type DeliverFn = (key: string, channel: string, payload: string, ttlMs: number) => Promise<number>;
type TakeFn = (key: string, connectionId: string) => Promise<string | null>;

/**
 * Redis driver of ResultBus: one channel per node (`<ns>:node:{<nodeId>}`), one subscription per node,
 * no pattern subscriptions: a result costs one PUBLISH however many nodes there are. A node's results
 * are kept beside its channel (`<ns>:result:{<nodeId>}:<requestId>`): in a Redis Cluster an edge's
 * whole traffic (keep, publish, collect) is one shard's.
 */
export class RedisResultBus implements ResultBus {
  private readonly redis: RedisConnector;
  private readonly commands: RedisClient;
  private subscription: RedisSubscription | undefined;
  private subscribing = false;
  private readonly deliverScript: DeliverFn;
  private readonly takeScript: TakeFn;

  constructor(
    source: RedisSource,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {
    this.redis = connectorOf(source, log);
    this.commands = this.redis.client(`${namespace}-results`);
    // The script's text names the publish command, so each flavour is its own cached script.
    this.deliverScript = defineScript<DeliverFn>(this.commands, 'authgateDeliverV2', 2, deliverScript(this.redis.publishCommand));
    this.takeScript = defineScript<TakeFn>(this.commands, 'authgateTake', 1, TAKE_SCRIPT);
  }

  private key(nodeId: string, requestId: string): string {
    return `${this.namespace}:result:{${nodeId}}:${requestId}`;
  }

  channelOf(nodeId: string): string {
    return `${this.namespace}:node:{${nodeId}}`;
  }

  async deliver(result: Result): Promise<boolean> {
    const { nodeId } = result.replyTo;
    const published = await this.deliverScript(this.key(nodeId, result.requestId), this.channelOf(nodeId), JSON.stringify(result), RESULT_TTL_MS);
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
    // After a reconnect (or a failover of the channel's shard), once the channel is subscribed again:
    // collect what was published in the gap.
    this.subscription = await this.redis.subscribe(`${this.namespace}-sub-${nodeId}`, [this.channelOf(nodeId)], onMessage, () => onResync?.());
  }

  async collect(nodeId: string, requestIds: string[]): Promise<Result[]> {
    if (requestIds.length === 0) return [];
    // One node's keys share its hash tag: one MGET, in a cluster too.
    const values = await this.commands.mget(requestIds.map((id) => this.key(nodeId, id)));
    // '' marks a result already taken by its client (TAKE_SCRIPT).
    return values.filter((v): v is string => v !== null && v !== '').map((v) => JSON.parse(v) as Result);
  }

  async answered(nodeId: string, requestId: string): Promise<boolean> {
    return (await this.commands.exists(this.key(nodeId, requestId))) === 1;
  }

  async take(requestId: string, connectionId: string): Promise<Result | undefined> {
    // A result is only ever addressed to a connection of the node named in its id.
    const nodeId = nodeOfConnection(connectionId);
    if (!nodeId) return undefined;
    const kept = await this.takeScript(this.key(nodeId, requestId), connectionId);
    return kept ? (JSON.parse(kept) as Result) : undefined;
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.commands.ping()) === 'PONG' && (!this.subscribing || this.subscription?.ready() === true);
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.subscription?.close();
    await this.commands.quit().catch(() => this.commands.disconnect());
  }
}
