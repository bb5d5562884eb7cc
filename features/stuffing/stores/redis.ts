import type { RedisClient } from '@authgate/shared/redis';
import { COUNTER_TTL_S, SOURCE_WINDOW_S, type PressureWindow, type StuffingState, type StuffingStore } from './types.ts';

/**
 * The distributed store. Keys, all under one hash tag `{<ns>:stuffing}` (one Redis Cluster slot, so
 * MGET and PFCOUNT over several keys work there too):
 *
 * - `…:n:<epoch second>`: pressure events in that second (INCRBY, expires after COUNTER_TTL_S);
 * - `…:s:<epoch second / 10>`: a HyperLogLog of the sources in those ten seconds; PFCOUNT over the
 *   last six is the minute's distinct sources in 12 KB a key, however many addresses a botnet has;
 * - `…:state`: the defence's state (JSON), SET NX to begin (one worker wins and reports it), GETDEL
 *   to end (one worker reports that), with a TTL each evaluation renews: if every worker dies, it ends;
 * - `…:spent:<id>`: a used challenge, SET NX with its expiry: single use across edges;
 * - `…:c:<epoch minute>`: challenges issued in that minute, taken once (GETDEL) for `challenge.issued`.
 *
 * Writers batch: each process adds its second's counts in one pipeline (not one round trip a failure).
 */
export class RedisStuffingStore implements StuffingStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisClient,
    namespace: string,
  ) {
    this.prefix = `{${namespace}:stuffing}`;
  }

  async add(second: number, count: number, sources: readonly string[], issued = 0): Promise<void> {
    const counter = `${this.prefix}:n:${second}`;
    const slot = `${this.prefix}:s:${Math.floor(second / 10)}`;
    const pipeline = this.redis.multi().incrby(counter, count).expire(counter, COUNTER_TTL_S);
    if (sources.length > 0) pipeline.pfadd(slot, ...sources).expire(slot, SOURCE_WINDOW_S + 20);
    if (issued > 0) {
      const minute = `${this.prefix}:c:${Math.floor(second / 60)}`;
      pipeline.incrby(minute, issued).expire(minute, 600);
    }
    await pipeline.exec();
  }

  async takeIssued(minute: number): Promise<number | null> {
    const value = await this.redis.getdel(`${this.prefix}:c:${minute}`);
    return value === null ? null : Number(value);
  }

  async read(nowSecond: number, seconds: number): Promise<PressureWindow> {
    const counters: string[] = [];
    for (let s = nowSecond - seconds + 1; s <= nowSecond; s++) counters.push(`${this.prefix}:n:${s}`);
    const slot = Math.floor(nowSecond / 10);
    const slots: string[] = [];
    for (let s = slot - SOURCE_WINDOW_S / 10 + 1; s <= slot; s++) slots.push(`${this.prefix}:s:${s}`);
    const [counts, sources] = await Promise.all([this.redis.mget(...counters), this.redis.pfcount(...slots)]);
    return { perSecond: counts.map((c) => Number(c ?? 0)), sources };
  }

  async state(): Promise<StuffingState | null> {
    const value = await this.redis.get(`${this.prefix}:state`);
    return value === null ? null : parseState(value);
  }

  async begin(state: StuffingState, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}:state`, JSON.stringify(state), 'PX', ttlMs, 'NX')) === 'OK';
  }

  async renew(state: StuffingState, ttlMs: number): Promise<void> {
    await this.redis.set(`${this.prefix}:state`, JSON.stringify(state), 'PX', ttlMs, 'XX');
  }

  async end(): Promise<StuffingState | null> {
    const value = await this.redis.getdel(`${this.prefix}:state`);
    return value === null ? null : parseState(value);
  }

  async spend(id: string, untilMs: number): Promise<boolean> {
    const ttlMs = Math.max(1, untilMs - Date.now());
    return (await this.redis.set(`${this.prefix}:spent:${id}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** A state another process wrote; anything unreadable is no state (the next evaluation writes a good one). */
function parseState(value: string): StuffingState | null {
  try {
    const parsed = JSON.parse(value) as Partial<StuffingState>;
    if (typeof parsed.since === 'number' && typeof parsed.difficulty === 'number' && typeof parsed.rate === 'number') {
      return { since: parsed.since, difficulty: parsed.difficulty, rate: parsed.rate };
    }
  } catch {}
  return null;
}
