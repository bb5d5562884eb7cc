import { createHash } from 'node:crypto';
import { AppError } from '@authgate/shared/errors';
import type { Logger } from '@authgate/shared/logger';

/**
 * The optional breached-password check (PASSWORD_BREACH_RANGE_URL), at registration, reset and change.
 * k-anonymity, in the range form of Have I Been Pwned's API: only the first 5 hex characters of the
 * password's SHA-1 leave the worker (`GET <url>/<prefix>`); the answer lists every suffix with that
 * prefix as `SUFFIX:COUNT` lines, and the match is made here. `Add-Padding: true` asks for decoy lines
 * (count 0) so that the answer's size does not tell the prefix either.
 *
 * Fail open: a range API that does not answer within PASSWORD_BREACH_TIMEOUT_MS, or answers anything
 * but 200, does not block a sign-up; the miss is counted (metric) and logged without the prefix.
 */
export class BreachCheck {
  readonly stats = { clean: 0, breached: 0, missed: 0 };
  private readonly base: string;

  constructor(
    url: string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
    private readonly fetchImpl: typeof fetch = globalThis.fetch,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /** Throws `weak_password` for a password the range API lists; returns otherwise (also when it did not answer). */
  async refuseBreached(password: string): Promise<void> {
    // SHA-1 is the range API's own key, not a password hash kept anywhere: it never leaves in full.
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = digest.slice(0, 5);
    const suffix = digest.slice(5);
    let body: string;
    try {
      const answer = await this.fetchImpl(`${this.base}/${prefix}`, {
        headers: { 'add-padding': 'true', 'user-agent': 'authgate' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (answer.status !== 200) throw new Error(`the range API answered ${answer.status}`);
      body = await answer.text();
    } catch (err) {
      this.stats.missed++;
      this.log.warn(
        { reason: (err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message },
        'breached-password check skipped: the range API did not answer',
      );
      return;
    }
    for (const line of body.split('\n')) {
      const [candidate, count] = line.trim().split(':');
      if (candidate?.toUpperCase() === suffix && Number(count) > 0) {
        this.stats.breached++;
        throw new AppError('weak_password', 'this password has appeared in a data breach; choose another one');
      }
    }
    this.stats.clean++;
  }
}
