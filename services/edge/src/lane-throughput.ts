import { PASSWORD_ROUNDS, roundOf } from '@authgate/shared/transport/types';

/**
 * How long a new register/login command sent from this edge would wait for its answer: the password
 * commands this edge has in flight that it would queue behind ÷ the rate at which their answers come
 * back (an EWMA). The lane is served round by round (transport/types.ts PASSWORD_ROUNDS): a command
 * queues behind those of its own round and lower ones, not behind the higher rounds of a source that
 * holds many, so its wait counts only those.
 *
 * Each edge measures only its own share: the password lane is one FIFO queue that every edge feeds, so
 * an edge's commands are answered at its share of the lane's rate and stand at its share of its
 * depth; the ratio of the two is the lane's wait, with no shared counter and no extra round trip.
 *
 * The rate is sampled only over windows in which this edge had a command in flight the whole time: an
 * idle lane says nothing of what it could do; and a window in which fewer than SATURATED_DEPTH were in
 * flight says only what the clients asked for, so it may raise the estimate but not lower it.
 */
const MIN_COMPLETIONS = 3;
const STALL_WINDOWS = 4;
/**
 * Commands in flight, all through a window, for its pace to be the lane's rather than its clients':
 * a worker holds 2 × its threads (PASSWORD_PREFETCH), 4 on a two-core machine. A window with fewer may
 * raise the estimate but never lower it, unless nothing at all was answered (a stall).
 */
const SATURATED_DEPTH = 4;
/**
 * An estimate last sampled this many time constants ago says nothing of the lane now (workers were
 * added, a slow start-up passed): it is dropped, and the next busy window measures afresh. Under a
 * sustained load every window samples, so the estimate never goes stale while it matters.
 */
const STALE_AFTER_TAUS = 5;

export class LaneThroughput {
  /** Commands of this lane in flight from this edge. */
  private inFlight = 0;
  /** The same, by round. */
  private readonly inFlightByRound: number[] = Array.from({ length: PASSWORD_ROUNDS }, () => 0);
  /** Completions per second, or undefined before the first busy window. */
  private perSecond: number | undefined;
  private sampledAt = 0;
  private windowStart = 0;
  private windowCompletions = 0;
  /** The fewest commands left in flight after an answer in the open window (arrivals only add). */
  private windowMinDepth = Number.POSITIVE_INFINITY;

  constructor(
    /** A window closes after this long once it has seen MIN_COMPLETIONS answers (bcrypt at cost 12 gives a few per second). */
    private readonly windowMs = 500,
    /** Time constant of the average: a window of this length weighs 63 %, so about the last 2 s count. */
    private readonly tauMs = 2000,
  ) {}

  get depth(): number {
    return this.inFlight;
  }

  /** Completions per second measured so far (undefined before the first busy window). */
  get rate(): number | undefined {
    return this.perSecond;
  }

  entered(now = Date.now(), round = 0): void {
    this.sample(now);
    if (this.inFlight === 0) this.openWindow(now);
    this.inFlight++;
    this.inFlightByRound[roundOf(round)]!++;
  }

  /**
   * `completed`: a worker answered it (a result, success or error); false for a timeout or a publish
   * failure. `round`: the one it entered with.
   */
  left(completed: boolean, now = Date.now(), round = 0): void {
    if (this.inFlight === 0) return;
    if (completed) this.windowCompletions++;
    this.sample(now);
    this.inFlight--;
    const r = roundOf(round);
    if (this.inFlightByRound[r]! > 0) this.inFlightByRound[r]!--;
    this.windowMinDepth = Math.min(this.windowMinDepth, this.inFlight);
    // Idle from here: a partial window would read the clients' pace, not the lane's.
    if (this.inFlight === 0) this.openWindow(now);
  }

  /**
   * Milliseconds a command entering now would wait for its answer, or undefined when nothing is in
   * flight here (nothing to queue behind, and the one way to learn the rate again after a stall).
   */
  expectedWaitMs(now = Date.now(), round = PASSWORD_ROUNDS - 1): number | undefined {
    if (this.inFlight === 0) return undefined;
    this.sample(now);
    if (this.perSecond !== undefined && now - this.sampledAt > this.tauMs * STALE_AFTER_TAUS) this.perSecond = undefined;
    // The open window bounds the rate from above: at most one more answer than it has seen could have
    // come by now. A window that has run STALL_WINDOWS long without a single answer makes a stalled lane
    // read as stalled at once. Before the first estimate (a burst onto a cold lane) the bound applies
    // after one window: without it every command of the first window, up to 4 × 500 ms of arrivals
    // on a slow lane, was admitted unjudged and the surplus waited for its 504. Nothing shorter than a
    // window is judged: in a burst the event loop may be busy taking requests in for a while before it
    // reads the answers that came meanwhile.
    const elapsed = now - this.windowStart;
    const stalled = this.windowCompletions === 0 && elapsed >= this.windowMs * STALL_WINDOWS;
    const cold = this.perSecond === undefined && elapsed >= this.windowMs;
    const bound = stalled || cold ? ((this.windowCompletions + 1) * 1000) / elapsed : Number.POSITIVE_INFINITY;
    const perSecond = Math.min(this.perSecond ?? Number.POSITIVE_INFINITY, bound);
    if (perSecond === Number.POSITIVE_INFINITY) return undefined;
    let ahead = 0;
    for (let r = 0; r <= roundOf(round); r++) ahead += this.inFlightByRound[r]!;
    return ((ahead + 1) / perSecond) * 1000;
  }

  private sample(now: number): void {
    if (this.inFlight === 0) return;
    const elapsed = now - this.windowStart;
    // Few answers make a noisy sample: a slow lane gets longer windows, up to STALL_WINDOWS of them,
    // after which a window with no answer at all says the lane has stalled.
    if (elapsed < this.windowMs || (this.windowCompletions < MIN_COMPLETIONS && elapsed < this.windowMs * STALL_WINDOWS)) return;
    const observed = (this.windowCompletions * 1000) / elapsed;
    const clientPaced = this.windowMinDepth < SATURATED_DEPTH && this.windowCompletions > 0;
    // A client-paced window only ever raises the estimate: its pace is a floor of the lane's, not the lane's.
    if (!clientPaced || (this.perSecond !== undefined && observed >= this.perSecond)) {
      // Weighted by the window's length, so a long window (a stall) counts for as long as it lasted.
      const weight = 1 - Math.exp(-elapsed / this.tauMs);
      this.perSecond = this.perSecond === undefined ? observed : weight * observed + (1 - weight) * this.perSecond;
      this.sampledAt = now;
    }
    this.openWindow(now);
  }

  private openWindow(now: number): void {
    this.windowStart = now;
    this.windowCompletions = 0;
    this.windowMinDepth = Number.POSITIVE_INFINITY;
  }
}
