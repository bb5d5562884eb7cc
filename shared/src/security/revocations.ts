import { defineScript } from '../redis-script.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { connectorOf, type RedisClient, type RedisConnector, type RedisSource, type RedisSubscription } from '../redis.ts';

/**
 * Sessions whose access tokens must stop verifying before their `exp`: logged out, or revoked because
 * a rotated refresh token came back. Workers revoke; every edge follows.
 */
export interface SessionRevocations {
  /** Worker: keeps the revocation for the access-token lifetime and broadcasts it to every edge. */
  revoke(sid: string): Promise<void>;
  /** Edge: listens for revocations, then loads those still in force; isRevoked is current from then on. */
  follow(): Promise<void>;
  isRevoked(sid: string): boolean;
  /**
   * Calls `listener` with each session this process learns is revoked: broadcast, revoked here, or
   * loaded by `follow` (at start, and after a reconnect: what was revoked in the gap). A session is
   * reported once per process, however many times it is heard of. Returns the unsubscribe.
   */
  onRevoked(listener: (sid: string) => void): () => void;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** How long a revocation is kept: no access token of the session can outlive it. */
export function revocationTtlMs(config: Config): number {
  // A minute on top of the lifetime covers a token signed by a refresh that ran while the logout did.
  return config.ACCESS_TOKEN_TTL_S * 1000 + 60_000;
}

const SID = /^[A-Za-z0-9_-]{1,64}$/;

/** The revocations one edge knows, each until its expiry. */
class RevokedSet {
  private readonly until = new Map<string, number>();
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();
  private readonly listeners = new Set<(sid: string) => void>();

  add(sid: string, expiresAt: number): void {
    if (expiresAt <= Date.now() || expiresAt <= (this.until.get(sid) ?? 0)) return;
    const known = this.has(sid);
    this.until.set(sid, expiresAt);
    if (known) return;
    for (const listener of this.listeners) {
      try {
        listener(sid);
      } catch {
        // A listener's failure is its own: the revocation stands for everyone else.
      }
    }
  }

  listen(listener: (sid: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  has(sid: string): boolean {
    const expiresAt = this.until.get(sid);
    if (expiresAt === undefined) return false;
    if (expiresAt > Date.now()) return true;
    this.until.delete(sid);
    return false;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [sid, expiresAt] of this.until) if (expiresAt <= now) this.until.delete(sid);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/**
 * Keep and broadcast in one atomic step: the sorted set `<ns>:revoked` (score = expiry) lets an edge
 * that starts later, or missed messages while reconnecting, load what is still in force; the message
 * on `<ns>:revocations:{<ns>:revoked}` reaches every edge at once. One channel for all edges on
 * purpose: unlike a result, a revocation concerns every node that may hold the session's tokens. The
 * channel's hash tag is the set's own name, so in a Redis Cluster both lie in one slot: the script
 * touches one shard, and SPUBLISH there reaches every edge, each subscribed on that shard.
 */
const revokeScript = (publish: string) => `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('${publish}', KEYS[2], ARGV[1] .. ' ' .. ARGV[2])
return 1`;

type RevokeFn = (key: string, channel: string, sid: string, expiresAt: number, now: number, ttlMs: number) => Promise<number>;

export class RedisRevocations implements SessionRevocations {
  private readonly redis: RedisConnector;
  private readonly commands: RedisClient;
  private subscription: RedisSubscription | undefined;
  private following = false;
  private readonly revoked = new RevokedSet();
  private readonly revokeScript: RevokeFn;
  private readonly key: string;
  private readonly channel: string;

  constructor(
    source: RedisSource,
    namespace: string,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {
    this.key = `${namespace}:revoked`;
    this.channel = `${namespace}:revocations:{${this.key}}`;
    this.redis = connectorOf(source, log);
    this.commands = this.redis.client(`${namespace}-revocations`);
    this.revokeScript = defineScript<RevokeFn>(this.commands, 'authgateBroadcastRevocation', 2, revokeScript(this.redis.publishCommand));
  }

  async revoke(sid: string): Promise<void> {
    const now = Date.now();
    await this.revokeScript(this.key, this.channel, sid, now + this.ttlMs, now, this.ttlMs);
    this.revoked.add(sid, now + this.ttlMs);
  }

  async follow(): Promise<void> {
    if (this.following) return;
    this.following = true;
    // Subscribe first, then load: a revocation lands in one or the other, never in between. After a
    // reconnect the same order: what was published in the gap is in the set.
    this.subscription = await this.redis.subscribe(
      `${this.key}-sub`,
      [this.channel],
      (_channel, message) => this.onMessage(message),
      () => {
        this.load().catch((err: unknown) => this.log.warn({ err }, 'revocations reload failed'));
      },
    );
    await this.load();
  }

  private onMessage(message: string): void {
    const [sid, expiresAt] = message.split(' ');
    if (sid && SID.test(sid) && Number.isFinite(Number(expiresAt))) this.revoked.add(sid, Number(expiresAt));
  }

  private async load(): Promise<void> {
    const entries = await this.commands.zrangebyscore(this.key, Date.now(), '+inf', 'WITHSCORES');
    for (let i = 0; i + 1 < entries.length; i += 2) this.revoked.add(entries[i]!, Number(entries[i + 1]));
  }

  isRevoked(sid: string): boolean {
    return this.revoked.has(sid);
  }

  onRevoked(listener: (sid: string) => void): () => void {
    return this.revoked.listen(listener);
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.commands.ping()) === 'PONG' && (!this.subscription || this.subscription.ready());
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.revoked.close();
    this.subscription?.close();
    await this.commands.quit().catch(() => this.commands.disconnect());
  }
}

/**
 * The all-in-one shape's driver: the worker's revocations are what the edge in the same process reads,
 * as both would read Redis. One instance per process, handed to both roles by the composition module.
 */
export class MemoryRevocations implements SessionRevocations {
  private readonly revoked = new RevokedSet();

  constructor(private readonly ttlMs: number) {}

  async revoke(sid: string): Promise<void> {
    this.revoked.add(sid, Date.now() + this.ttlMs);
  }

  async follow(): Promise<void> {}

  isRevoked(sid: string): boolean {
    return this.revoked.has(sid);
  }

  onRevoked(listener: (sid: string) => void): () => void {
    return this.revoked.listen(listener);
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.revoked.close();
  }
}
