import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.ts';

/**
 * Password work per client source, shared fairly (docs/shared-addresses.md). Each register or login
 * costs a bcrypt on a worker. Many people may share one address (an office, a campus, a carrier's
 * NAT), so a source is not capped at a few commands in flight; instead each command is stamped with
 * its round, how many of its source's commands were in flight when it was admitted, and the lane
 * serves lower rounds first (transport/types.ts PASSWORD_ROUNDS). A source alone on the lane gets
 * all of it; when sources contend, each one's next command goes ahead of the 2nd..nth of the others.
 *
 * What one source may hold in flight is still bounded, generously (PASSWORD_WORK_PER_SOURCE): its
 * commands wait in queues and pending maps, and the bound keeps that memory finite.
 *
 * - counted at the edge, in the admission path, before the command is published;
 * - released by the edge that receives the answer (the result, a timeout, a publish failure). The
 *   edge that took the unit names its source; a deferred result may arrive at another edge, which
 *   knows only the requestId: such a unit is taken `leased`, its source kept by requestId;
 * - each unit expires at its command's deadline by itself, after which no worker runs the command
 *   (workers drop expired commands): an edge that dies holding units cannot leak them for longer.
 */
export interface PasswordWorkBudget {
  /**
   * Takes a unit for `source` held by `requestId` until released or `deadline` (epoch ms). Answers how
   * many units the source held before this one (its round on the lane, before capping), or undefined
   * when the source is at its bound. `leased`: another edge may give it back knowing only the
   * requestId (deferred delivery).
   */
  acquire(source: string, requestId: string, deadline: number, leased?: boolean): Promise<number | undefined>;
  /** Gives the unit of `requestId` back, if it holds one (a no-op otherwise); `source` when this edge took it. */
  release(requestId: string, source?: string): Promise<void>;
  close(): Promise<void> | void;
}

/**
 * Whom a budget belongs to: an IPv4 address, or an IPv6 /64 (one subscriber's whole network: a /64
 * holds 2^64 addresses to rotate through, so a per-address budget would bound nothing). IPv4-mapped
 * IPv6 addresses count as their IPv4 address. Something that is no address is its own source.
 */
export function sourceOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return `other:${ip.slice(0, 64)}`;
  let address = ipaddr.parse(ip);
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) address = address.toIPv4Address();
  if (address instanceof ipaddr.IPv4) return `v4:${address.toString()}`;
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `v6:${parts.join(':')}::/64`;
}

/**
 * Refused: 429 `rate_limited`, like every other per-client limit, rather than 503 `overloaded`, which
 * docs/errors.md keeps for the system being full. It is this client that holds too much. Retry-After is the
 * shortest the header can say: a unit comes back as soon as one of its bcrypts ends (a fraction of a
 * second), but a client that ignores it is refused again at no cost.
 */
export function passwordWorkRefused(): AppError {
  return new AppError('rate_limited', 'too many password requests in flight from this address, retry later', { retryAfter: 1 });
}

/** In-process driver: the all-in-one shape, and the insurance of the Redis driver while Redis is away. */
export class MemoryPasswordWork implements PasswordWorkBudget {
  /** source → (requestId → deadline) */
  private readonly held = new Map<string, Map<string, number>>();
  private readonly sourceOfLease = new Map<string, string>();

  constructor(private readonly perSource: number) {}

  async acquire(source: string, requestId: string, deadline: number): Promise<number | undefined> {
    return this.acquireNow(source, requestId, deadline);
  }

  acquireNow(source: string, requestId: string, deadline: number): number | undefined {
    const now = Date.now();
    let leases = this.held.get(source);
    if (leases) {
      for (const [id, until] of leases) {
        if (until <= now) {
          leases.delete(id);
          this.sourceOfLease.delete(id);
        }
      }
    } else {
      leases = new Map();
      this.held.set(source, leases);
    }
    // The bound this store enforces: at most perSource units per source, expired ones not counted.
    const heldBefore = leases.size;
    if (heldBefore >= this.perSource) return undefined;
    leases.set(requestId, deadline);
    this.sourceOfLease.set(requestId, source);
    return heldBefore;
  }

  async release(requestId: string): Promise<void> {
    this.releaseNow(requestId);
  }

  releaseNow(requestId: string): void {
    const source = this.sourceOfLease.get(requestId);
    if (source === undefined) return;
    this.sourceOfLease.delete(requestId);
    const leases = this.held.get(source);
    leases?.delete(requestId);
    if (leases?.size === 0) this.held.delete(source);
  }

  close(): void {
    this.held.clear();
    this.sourceOfLease.clear();
  }
}
