import type { Logger } from '@authgate/shared/logger';
import type { SessionDirectory, SessionSeen } from '@authgate/features/sessions/stores/directory';

const FLUSH_INTERVAL_MS = 10_000;
/** Sessions remembered between flushes; past this, more are dropped until the next flush (bounded memory). */
const MAX_PENDING = 50_000;

/**
 * A session's last use, without a write per request: every use of a verified token is noted here
 * (one map entry per session, the latest time wins) and written in one batch every ten seconds.
 */
export class SessionActivity {
  private pending = new Map<string, SessionSeen>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly directory: SessionDirectory,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  seen(userId: string, sid: string): void {
    const entry = this.pending.get(sid);
    if (entry) entry.at = Date.now();
    else if (this.pending.size < MAX_PENDING) this.pending.set(sid, { userId, sid, at: Date.now() });
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    await this.directory.touch(batch).catch((err: unknown) => this.log.warn({ err, sessions: batch.length }, 'session activity not recorded'));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
