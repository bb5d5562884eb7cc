import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '@authgate/shared/config';
import { AppError } from '@authgate/shared/errors';
import type { LimiterStore } from '@authgate/shared/security/limiter-store';
import { sourceOf } from '@authgate/shared/security/password-work';

export interface CodeLimits {
  /** Wrong codes per account, from anywhere, in `windowS`. */
  accountMaxFailures: number;
  /** Wrong codes per client address (an IPv4 address, an IPv6 /64), for any account, in `windowS`. */
  ipMaxFailures: number;
  windowS: number;
}

export function codeLimitsOf(config: Config): CodeLimits {
  return { accountMaxFailures: config.MFA_ACCOUNT_MAX_FAILURES, ipMaxFailures: config.MFA_IP_MAX_FAILURES, windowS: config.MFA_FAILURE_WINDOW_S };
}

/**
 * Second-factor guesses per account and per address (rate-limiter-flexible, Redis-shared through the
 * LimiterStore; an IPv6 client counts by its /64, which it could otherwise rotate through), on the login limiter's pattern: each attempt is counted before its code is checked,
 * so concurrent guesses cannot slip past the count, and a right code gives its points back. What is
 * not given back was a wrong code. Every block ends with its window: an attacker who has the password
 * can delay the owner's second factor for at most `windowS`, never lock it for good.
 */
export class CodeLimiter {
  private readonly account: RateLimiterAbstract;
  private readonly ip: RateLimiterAbstract;

  constructor(options: { store: LimiterStore; namespace: string; limits: CodeLimits }) {
    const { store, namespace, limits } = options;
    this.account = store.limiter(`${namespace}:rl:mfa:account`, limits.accountMaxFailures, limits.windowS);
    this.ip = store.limiter(`${namespace}:rl:mfa:ip`, limits.ipMaxFailures, limits.windowS);
  }

  /** Counts one attempt, or rejects with `rate_limited` and the seconds to wait. */
  async admit(userId: string, ip: string): Promise<void> {
    try {
      await this.account.consume(userId);
    } catch (rejection) {
      throw refused(rejection);
    }
    try {
      await this.ip.consume(sourceOf(ip));
    } catch (rejection) {
      // The attempt does not happen: the account's point comes back.
      await this.account.reward(userId).catch(() => {});
      throw refused(rejection);
    }
  }

  /** A right code: its points come back. */
  async succeeded(userId: string, ip: string): Promise<void> {
    await Promise.all([this.account.reward(userId), this.ip.reward(sourceOf(ip))]);
  }
}

function refused(rejection: unknown): AppError {
  if (rejection instanceof RateLimiterRes) {
    return new AppError('rate_limited', 'too many wrong codes, retry later', { retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) });
  }
  return new AppError('overloaded', 'rate limiter unavailable, retry later');
}
