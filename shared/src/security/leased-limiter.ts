import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { LimiterStore } from './limiter-store.ts';
import { limiterRefusal } from './per-minute-limiter.ts';

/** A lease is at most this share of the minute's limit (and at most MAX_LEASE points). */
const LEASE_SHARE = 1 / 600;
const MAX_LEASE = 100;
/** Within this many leases of the limit, each request takes its own point from the store again. */
const EXACT_MARGIN_LEASES = 4;
/** Keys this edge keeps leases for; past this, a new key takes one point per request (bounded memory). */
const MAX_LEASES = 100_000;

/** From this limit up (the default, 600) requests spend leases; below it each request asks the store. */
const MIN_LEASED_LIMIT = 600;
/** A lease of one point would be a store round trip per request again. */
const MIN_LEASE = 2;

/** The points one lease takes: 1 means no leasing (each request asks the store). */
export function leaseSizeFor(pointsPerMinute: number): number {
  if (pointsPerMinute < MIN_LEASED_LIMIT) return 1;
  return Math.max(MIN_LEASE, Math.min(MAX_LEASE, Math.floor(pointsPerMinute * LEASE_SHARE)));
}

/** Points taken from the shared store in one step, spendable until the store's window they were counted in ends. */
interface Grant {
  points: number;
  until: number;
}

interface Lease {
  grants: Grant[];
  /** Near the limit in this window: one point per request, from the store, until then. */
  exactUntil: number;
  taking?: Promise<void> | undefined;
}

/**
 * The per-IP limit without a store round trip per request: each edge takes a lease of points per key
 * from the shared counter (rate-limiter-flexible, Redis) and spends them locally, taking the next lease
 * in the background when half of it is spent. Check named "per-IP lease": every point a request spends
 * was counted in the shared store, in the window it is spent in (a lease expires with that window), so
 * across all edges a key never gets more than the limit per window. The error is the other way: a key
 * may be refused on one edge while another edge holds unspent points of its lease (at most 1.5 leases:
 * ≤ 0.25 % of the limit per edge from 1,200 a minute up, 3 points, 0.5 %, at the default 600). Near the
 * limit (EXACT_MARGIN_LEASES leases from it) each request takes its own point again, so a burst that
 * ends at the limit is counted exactly there. Limits below 600 a minute are counted per request, as
 * PerMinuteLimiter does.
 */
export class LeasedPerMinuteLimiter {
  private readonly limiter: RateLimiterAbstract;
  private readonly leases = new Map<string, Lease>();
  private readonly exactMargin: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    store: LimiterStore,
    keyPrefix: string,
    private readonly pointsPerMinute: number,
    private readonly leaseSize = leaseSizeFor(pointsPerMinute),
  ) {
    this.limiter = store.limiter(keyPrefix, pointsPerMinute, 60);
    this.exactMargin = EXACT_MARGIN_LEASES * leaseSize;
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Resolves when the request may go on; rejects with `rate_limited` and the seconds to wait. */
  async consume(key: string): Promise<void> {
    const lease = this.leaseSize > 1 ? this.leaseOf(key) : undefined;
    if (!lease) return this.takeOne(key);
    for (;;) {
      const now = Date.now();
      if (spend(lease, now)) {
        if (!lease.taking && now >= lease.exactUntil && pointsOf(lease, now) <= this.leaseSize / 2) void this.take(key, lease).catch(() => {});
        return;
      }
      if (now < lease.exactUntil) return this.takeOne(key);
      if (lease.taking) await lease.taking.catch(() => {});
      else await this.take(key, lease).catch((err: unknown) => Promise.reject(limiterRefusal(err)));
    }
  }

  private leaseOf(key: string): Lease | undefined {
    let lease = this.leases.get(key);
    if (!lease && this.leases.size < MAX_LEASES) {
      lease = { grants: [], exactUntil: 0 };
      this.leases.set(key, lease);
    }
    return lease;
  }

  private async takeOne(key: string): Promise<void> {
    await this.limiter.consume(key).catch((err: unknown) => Promise.reject(limiterRefusal(err)));
  }

  /** One lease from the store. Refused (the counter passed the limit with it), what was left under the limit is still this edge's. */
  private take(key: string, lease: Lease): Promise<void> {
    const started = Date.now();
    const taken = this.limiter.consume(key, this.leaseSize).then(
      (res) => this.granted(lease, res, started, this.leaseSize),
      (err: unknown) => {
        if (!(err instanceof RateLimiterRes)) throw err;
        this.granted(lease, err, started, this.pointsPerMinute - (err.consumedPoints - this.leaseSize));
      },
    );
    lease.taking = taken.finally(() => {
      lease.taking = undefined;
    });
    return lease.taking;
  }

  private granted(lease: Lease, res: RateLimiterRes, started: number, points: number): void {
    // From when it was asked: the store's window cannot have ended later than this.
    const until = started + res.msBeforeNext;
    if (points > 0) lease.grants.push({ points: Math.min(points, this.leaseSize), until });
    if (this.pointsPerMinute - res.consumedPoints < this.exactMargin) lease.exactUntil = until;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, lease] of this.leases) {
      if (!lease.taking && now >= lease.exactUntil && pointsOf(lease, now) === 0) this.leases.delete(key);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

function spend(lease: Lease, now: number): boolean {
  while (lease.grants.length > 0) {
    const grant = lease.grants[0]!;
    if (grant.until > now && grant.points > 0) {
      grant.points--;
      return true;
    }
    lease.grants.shift();
  }
  return false;
}

function pointsOf(lease: Lease, now: number): number {
  let points = 0;
  for (const grant of lease.grants) if (grant.until > now) points += grant.points;
  return points;
}
