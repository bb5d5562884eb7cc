import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LimiterStore } from '@authgate/shared/security/limiter-store';
import { CodeLimiter, type CodeLimits } from '@authgate/worker/commands/code-limiter';

const HOUR_S = 3600;

/**
 * What new-device sign-ins may cost an account, beyond each verification's own 5 tries:
 *
 * - `codes`: wrong emailed codes per account and per client address, across verifications, on the
 *   second factor's pattern and limits (MFA_ACCOUNT_MAX_FAILURES, MFA_IP_MAX_FAILURES,
 *   MFA_FAILURE_WINDOW_S) in counters of their own: each verification brings a new code, so without
 *   them someone with the password could open verification after verification and keep guessing;
 * - `takeNotice`: the code mails and `device.approval_requested` prompts one account is sent per hour
 *   (DEVICE_MAILS_PER_HOUR), so that a password thief cannot flood the owner's inbox and devices
 *   until a tired owner approves.
 *
 * Counted in the shared limiter store (rate-limiter-flexible: Redis, or memory in the all-in-one).
 */
export class DeviceLimits {
  readonly codes: CodeLimiter;
  private readonly notices: RateLimiterAbstract;

  constructor(options: { store: LimiterStore; namespace: string; codes: CodeLimits; noticesPerHour: number }) {
    const { store, namespace } = options;
    // The second factor's limiter, under a namespace of its own: device codes and TOTP codes count apart.
    this.codes = new CodeLimiter({ store, namespace: `${namespace}:device-codes`, limits: options.codes });
    this.notices = store.limiter(`${namespace}:rl:device-notices`, options.noticesPerHour, HOUR_S);
  }

  /** Takes one mail-and-prompt of the account's hour: false past DEVICE_MAILS_PER_HOUR. */
  async takeNotice(userId: string): Promise<boolean> {
    try {
      await this.notices.consume(userId);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false;
      throw rejection;
    }
  }
}
