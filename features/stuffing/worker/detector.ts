import { newAuditEvent } from '@authgate/shared/events/schema';
import type { EventBus } from '@authgate/shared/events/types';
import type { Logger } from '@authgate/shared/logger';
import { sourceOf } from '@authgate/shared/security/password-work';
import type { StuffingSettings } from '../contract.ts';
import { difficultyFor, rateOf, shouldEnd, shouldStart, windowSeconds } from '../rate.ts';
import type { StuffingStore } from '../stores/types.ts';
import { PressureTally } from '../tally.ts';

/** How often each worker adds its failures to the window and evaluates it. */
export const DETECTOR_TICK_MS = 1_000;
/** The state lives this long unless an evaluation renews it: if every worker stops, the defence ends by itself. */
const STATE_TTL_MS = 30_000;

/**
 * The worker's half: it is the one that knows a password login failed (a wrong password, or an
 * unknown email: both count, so the count does not tell which emails exist). Each worker counts its
 * failures in process, adds them to the deployment-wide window once a second, and evaluates the
 * window (rate.ts). Several workers evaluate the same window: starting is a SET NX and ending a
 * GETDEL, so exactly one of them reports each as an audit event (`stuffing.detected`, `stuffing.ended`).
 */
export class StuffingDetector {
  private readonly tally = new PressureTally();
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking: Promise<void> | undefined;
  private storeFailing = false;
  /** The last minute whose issued challenges this worker tried to report. */
  private reportedMinute: number;
  /** Read by the metrics. */
  readonly stats = { failures: 0, detected: 0, ended: 0, active: 0, difficulty: 0, rate: 0 };

  constructor(
    private readonly store: StuffingStore,
    private readonly settings: StuffingSettings,
    private readonly log: Logger,
    private readonly events?: EventBus,
    private readonly now: () => number = Date.now,
  ) {
    this.reportedMinute = Math.floor(now() / 60_000);
  }

  /** A password login failed (wrong password, unknown email) from `ip`. */
  failed(ip: string): void {
    this.stats.failures++;
    this.tally.note(sourceOf(ip));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, DETECTOR_TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    // What this worker counted last still reaches the window.
    await this.tally.flush(this.store, Math.floor(this.now() / 1000)).catch(() => {});
  }

  /** One evaluation (exposed for tests). */
  async tick(): Promise<void> {
    try {
      const now = this.now();
      const second = Math.floor(now / 1000);
      await this.tally.flush(this.store, second);
      await this.reportIssued(now);
      const window = await this.store.read(second, windowSeconds(this.settings));
      const rate = rateOf(window);
      this.stats.rate = rate;
      const state = await this.store.state();
      if (!state) {
        this.stats.active = 0;
        if (!shouldStart(window, this.settings)) return;
        const started = { since: now, difficulty: difficultyFor(rate, this.settings), rate };
        if (await this.store.begin(started, STATE_TTL_MS)) {
          this.stats.detected++;
          this.log.warn(
            { rate, sources: window.sources, difficulty: started.difficulty },
            'credential stuffing detected: password logins from unknown devices are challenged',
          );
          this.report('stuffing.detected', { rate, sources: window.sources, difficulty: started.difficulty });
        }
        this.mirror(started);
        return;
      }
      if (shouldEnd(window, state.since, now, this.settings)) {
        const ended = await this.store.end();
        this.stats.active = 0;
        if (ended) {
          this.stats.ended++;
          const seconds = Math.round((now - ended.since) / 1000);
          this.log.warn({ rate, seconds }, 'credential stuffing ended: logins are no longer challenged');
          this.report('stuffing.ended', { rate, seconds, difficulty: ended.difficulty });
        }
        return;
      }
      const renewed = { since: state.since, difficulty: Math.max(state.difficulty, difficultyFor(rate, this.settings)), rate };
      await this.store.renew(renewed, STATE_TTL_MS);
      this.mirror(renewed);
      this.storeFailing = false;
    } catch (err) {
      // The window is away (Redis): logins go on as they are; the next tick tries again.
      if (!this.storeFailing) this.log.warn({ err }, 'stuffing window not evaluated');
      this.storeFailing = true;
    }
  }

  /** Once a minute, the challenges the edges issued in the minute before: one worker takes them (GETDEL) and reports. */
  private async reportIssued(now: number): Promise<void> {
    const minute = Math.floor(now / 60_000);
    if (minute === this.reportedMinute) return;
    this.reportedMinute = minute;
    const issued = await this.store.takeIssued(minute - 1);
    if (issued) this.report('challenge.issued', { count: issued, difficulty: this.stats.difficulty, periodS: 60 });
  }

  private mirror(state: { difficulty: number }): void {
    this.stats.active = 1;
    this.stats.difficulty = state.difficulty;
  }

  private report(type: 'stuffing.detected' | 'stuffing.ended' | 'challenge.issued', data: Record<string, number>): void {
    if (!this.events) return;
    const rounded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Math.round(v * 10) / 10]));
    this.events.publish(newAuditEvent({ type, data: rounded })).catch((err: unknown) => this.log.error({ err, type }, 'stuffing audit event not published'));
  }
}
