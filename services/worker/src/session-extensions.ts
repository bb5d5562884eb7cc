import type { Logger } from '@authgate/shared/logger';
import type { SessionDirectory } from '@authgate/features/sessions/stores/directory';

const FLUSH_INTERVAL_MS = 1_000;
/** Sessions remembered between flushes; past this, more are dropped until the next flush (bounded memory). */
const MAX_PENDING = 50_000;

interface Extension {
  userId: string;
  sid: string;
  expiresAt: number;
  at: number;
}

/**
 * A refresh's new end and last use of its session in the sessions list, written in a batch each second
 * instead of a round trip per refresh: the rotation script is then the refresh's one Redis step. The
 * sessions list lives under the account's hash tag and the session under its own, so one script could
 * not touch both on a Redis Cluster. What a delay costs: the list shows the last refresh up to a second
 * late (its last use was already written in batches, SessionActivity), and a worker that dies loses at
 * most that second's extensions, which the session's next refresh writes again. An ended session is not
 * brought back: the directory's script only moves an entry that is still there.
 */
export class SessionExtensions {
  private pending = new Map<string, Extension>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly directory: SessionDirectory,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  extended(userId: string, sid: string, expiresAt: number, at: number): void {
    if (this.pending.size < MAX_PENDING || this.pending.has(sid)) this.pending.set(sid, { userId, sid, expiresAt, at });
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    const failed = (await Promise.allSettled(batch.map((e) => this.directory.extend(e.userId, e.sid, e.expiresAt, e.at)))).filter(
      (outcome) => outcome.status === 'rejected',
    );
    if (failed.length > 0) this.log.warn({ err: failed[0]!.reason, failed: failed.length, sessions: batch.length }, 'session extensions not recorded');
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
