import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { LimiterStore } from './limiter-store.ts';

export interface LoginLimits {
  /** Login attempts per account in `accountWindowS`, from any IP; a success gives its point back. */
  accountMaxFailures: number;
  accountWindowS: number;
  /** Consecutive failures per (account, IP) before the pair is locked out. */
  freeFailures: number;
  /** The n-th lockout of a pair lasts backoffBaseS · 2^(n-1) seconds, at most backoffMaxS. */
  backoffBaseS: number;
  backoffMaxS: number;
  /** How long a device that completed a login stays trusted for its account (the refresh lifetime). */
  trustedDeviceTtlS?: number;
}

export function loginLimitsOf(config: Config): LoginLimits {
  return {
    accountMaxFailures: config.LOGIN_ACCOUNT_MAX_FAILURES,
    accountWindowS: config.LOGIN_ACCOUNT_WINDOW_S,
    freeFailures: config.LOGIN_FREE_FAILURES,
    backoffBaseS: config.LOGIN_BACKOFF_BASE_S,
    backoffMaxS: config.LOGIN_BACKOFF_MAX_S,
    trustedDeviceTtlS: config.REFRESH_TOKEN_TTL_S,
  };
}

/**
 * How long a pair's failures and lockouts are remembered without a success: its back-off keeps growing
 * for a day, then starts over. Finite on purpose: no counter an attacker drives can lock anyone out for good.
 */
const PAIR_MEMORY_S = 86_400;
const DEFAULT_TRUSTED_DEVICE_TTL_S = 30 * 86_400;

/** Counters are keyed by a digest of the lower-cased email: Redis holds no address in clear. */
export function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
}

/** An (account, device) pair, digested as the account is: Redis holds neither the address nor the device id. */
export function deviceKey(email: string, deviceId: string): string {
  return createHash('sha256').update(`${email.trim().toLowerCase()}\n${deviceId}`).digest('base64url').slice(0, 22);
}

function rateLimited(ms: number): AppError {
  return new AppError('rate_limited', 'too many login attempts, retry later', { retryAfter: Math.max(1, Math.ceil(ms / 1000)) });
}

/**
 * Brute-force protection of logins, on rate-limiter-flexible's "consecutive fails by username and IP"
 * pattern with a growing block:
 *
 * - the edge calls `admit` before it publishes a login: the attempt is counted at once, atomically in
 *   Redis (one Lua INCR per counter), so 50 parallel attempts count as 50 on every edge;
 * - the worker, the only one that knows the outcome, calls `succeeded` when the password matched:
 *   the (account, IP) failures and back-off start over and the budget gets its point back. Whatever
 *   is not given back was a failure, including results delivered to another edge or a WebSocket.
 *
 * Every lockout expires (a window, or a back-off of at most backoffMaxS): an attacker can delay an
 * account's owner, never lock them out for good, and only from other IPs at the account's own limit.
 *
 * Trusted devices (OWASP's "device cookie" answer to lockout as a weapon): a
 * `deviceId` that completed a login for the account is remembered (digested, for the refresh
 * lifetime), and its attempts are counted on a budget of their own, of the same size, instead of the
 * account-wide one. Failures from everywhere else can use up the account-wide budget; the owner's
 * devices still sign in. A device id is only as good as the client keeps it: a long random value,
 * never shown; an attacker who has it shares that device's budget, not more.
 */
export class LoginLimiter {
  private readonly account: RateLimiterAbstract;
  private readonly device: RateLimiterAbstract;
  private readonly trusted: RateLimiterAbstract;
  private readonly pair: RateLimiterAbstract;
  private readonly lockouts: RateLimiterAbstract;
  private readonly limits: LoginLimits;
  private readonly trustedTtlS: number;

  constructor(options: { store: LimiterStore; namespace: string; limits: LoginLimits }) {
    const { limits } = options;
    this.limits = limits;
    this.trustedTtlS = limits.trustedDeviceTtlS ?? DEFAULT_TRUSTED_DEVICE_TTL_S;
    const prefix = `${options.namespace}:rl:login`;
    this.account = options.store.limiter(`${prefix}:account`, limits.accountMaxFailures, limits.accountWindowS);
    this.device = options.store.limiter(`${prefix}:device`, limits.accountMaxFailures, limits.accountWindowS);
    this.trusted = options.store.limiter(`${prefix}:trusted`, 1, this.trustedTtlS);
    this.pair = options.store.limiter(`${prefix}:pair`, limits.freeFailures, PAIR_MEMORY_S);
    this.lockouts = options.store.limiter(`${prefix}:lockouts`, Number.MAX_SAFE_INTEGER, PAIR_MEMORY_S);
  }

  /** Counts one login attempt, or rejects with `rate_limited` and the seconds to wait. */
  async admit(email: string, ip: string, deviceId?: string): Promise<void> {
    const account = accountKey(email);
    const pair = `${account}:${ip}`;
    try {
      await this.pair.consume(pair);
    } catch (rejection) {
      throw await this.pairRejected(pair, rejection);
    }
    const budget = await this.budgetOf(email, deviceId);
    try {
      await budget.limiter.consume(budget.key);
    } catch (rejection) {
      // The attempt does not happen, so it is no failure of this pair either.
      await this.pair.reward(pair).catch(() => {});
      throw rejection instanceof RateLimiterRes ? rateLimited(rejection.msBeforeNext) : unavailable();
    }
  }

  /**
   * A correct password: the pair's failures and back-off are forgotten, the budget's point returned,
   * and the device (if the login named one) is trusted for this account from now on.
   */
  async succeeded(email: string, ip: string, deviceId?: string): Promise<void> {
    const account = accountKey(email);
    const pair = `${account}:${ip}`;
    const budget = await this.budgetOf(email, deviceId);
    await Promise.all([
      this.pair.delete(pair),
      this.lockouts.delete(pair),
      budget.limiter.reward(budget.key),
      deviceId ? this.trusted.set(deviceKey(email, deviceId), 1, this.trustedTtlS) : undefined,
    ]);
  }

  /**
   * An attempt that was counted but never checked (the queue refused it, or the user lookup failed):
   * no failure, so its points are given back. Otherwise clients retrying through an outage would lock
   * their owners out. Only for attempts whose password was surely not compared.
   */
  async refund(email: string, ip: string, deviceId?: string): Promise<void> {
    const account = accountKey(email);
    const budget = await this.budgetOf(email, deviceId);
    await Promise.all([this.pair.reward(`${account}:${ip}`), budget.limiter.reward(budget.key)]);
  }

  /**
   * Whether `deviceId` has completed a password login for the account (and is still trusted): the
   * credential stuffing gate lets such a login through unchallenged. A store that is away: no.
   */
  async trustsDevice(email: string, deviceId: string): Promise<boolean> {
    const trusted = await this.trusted.get(deviceKey(email, deviceId)).catch(() => null);
    return trusted !== null && trusted.consumedPoints > 0;
  }

  /**
   * The budget an attempt is counted on: its trusted device's own, else the account-wide one. A
   * trust that cannot be read (the store is away) counts as none: the account-wide budget applies.
   */
  private async budgetOf(email: string, deviceId: string | undefined): Promise<{ limiter: RateLimiterAbstract; key: string }> {
    if (deviceId) {
      const key = deviceKey(email, deviceId);
      const trusted = await this.trusted.get(key).catch(() => null);
      if (trusted && trusted.consumedPoints > 0) return { limiter: this.device, key };
    }
    return { limiter: this.account, key: accountKey(email) };
  }

  /**
   * Past its free failures a pair is blocked. Exactly one attempt crosses the line (the one that made
   * the count free+1, even among concurrent ones): it counts the lockout and sets its length, growing
   * with each lockout. The others are told how long the block still runs.
   */
  private async pairRejected(pair: string, rejection: unknown): Promise<AppError> {
    if (!(rejection instanceof RateLimiterRes)) return unavailable();
    if (rejection.consumedPoints !== this.limits.freeFailures + 1) {
      return rateLimited(Math.min(rejection.msBeforeNext, this.limits.backoffMaxS * 1000));
    }
    try {
      const lockout = (await this.lockouts.penalty(pair)).consumedPoints;
      const seconds = backoffSeconds(lockout, this.limits);
      await this.pair.block(pair, seconds);
      return rateLimited(seconds * 1000);
    } catch {
      return unavailable();
    }
  }
}

/** The length of a pair's n-th lockout: base · 2^(n-1) seconds, capped. */
export function backoffSeconds(lockout: number, limits: Pick<LoginLimits, 'backoffBaseS' | 'backoffMaxS'>): number {
  return Math.min(limits.backoffBaseS * 2 ** Math.min(Math.max(lockout, 1) - 1, 30), limits.backoffMaxS);
}

function unavailable(): AppError {
  return new AppError('overloaded', 'rate limiter unavailable, retry later');
}
