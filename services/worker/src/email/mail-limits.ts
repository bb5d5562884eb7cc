import type { LimiterStore } from '@authgate/shared/security/limiter-store';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '@authgate/shared/errors';

const HOUR_S = 3600;

/** SECURITY_NOTICE_MAILS_PER_HOUR's default, for contexts built without the setting. */
const NOTICES_PER_HOUR = 3;

/** The security notices that someone other than the owner can cause (a passkey added with a stolen session too), and so are counted. */
export type CappedNotice = 'new_sign_in' | 'refresh_reuse' | 'passkey_registered' | 'passkey_removed';

/**
 * How many mails one account can make authgate send in an hour, so that nobody (the account's owner
 * or someone who knows its address) can turn the mailer into a mail bomb: verification mails
 * (EMAIL_RESEND_PER_HOUR), password reset mails (PASSWORD_RESET_MAILS_PER_HOUR) and security notices
 * of each kind (SECURITY_NOTICE_MAILS_PER_HOUR). Counted per user id in the shared limiter store
 * (Redis, or memory in the all-in-one).
 */
export class AccountMailLimits {
  private readonly verification: RateLimiterAbstract;
  private readonly reset: RateLimiterAbstract;
  private readonly notices: RateLimiterAbstract;

  constructor(store: LimiterStore, namespace: string, perHour: { verification: number; reset: number; notices?: number }) {
    this.verification = store.limiter(`${namespace}:rl:mail:verify`, perHour.verification, HOUR_S);
    this.reset = store.limiter(`${namespace}:rl:mail:reset`, perHour.reset, HOUR_S);
    this.notices = store.limiter(`${namespace}:rl:mail:notice`, perHour.notices ?? NOTICES_PER_HOUR, HOUR_S);
  }

  /** Takes one verification mail of the account's hour; `rate_limited` with the seconds until the next. */
  async takeVerification(userId: string): Promise<void> {
    const refusal = await take(this.verification, userId);
    if (refusal !== undefined) throw new AppError('rate_limited', 'too many verification emails for this account, retry later', { retryAfter: refusal });
  }

  /** Whether one more reset mail fits in the account's hour (a forgot request past it sends nothing). */
  async takeReset(userId: string): Promise<boolean> {
    return (await take(this.reset, userId)) === undefined;
  }

  /** Whether one more notice of `kind` fits in the account's hour (past it, none is mailed). */
  async takeNotice(kind: CappedNotice, userId: string): Promise<boolean> {
    return (await take(this.notices, `${kind}:${userId}`)) === undefined;
  }
}

/** undefined when the point was taken, else the seconds to wait. */
async function take(limiter: RateLimiterAbstract, key: string): Promise<number | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (res) {
    if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    throw new AppError('overloaded', 'rate limiter unavailable, retry later');
  }
}
