/**
 * The deployment-wide picture of failed password logins, and the defence's state. Redis in the
 * distributed shape (keys hash-tagged: one slot, multi-key reads work on Redis Cluster), one in-process
 * object in the all-in-one that its edge and worker share. One contract suite (test/store-contract).
 */

/** The defence while it is on: written by the worker that saw it start, read by every edge. */
export interface StuffingState {
  /** Epoch ms the wave was detected. */
  since: number;
  /** Leading zero bits a new challenge asks for (rises with the rate, never falls during a wave). */
  difficulty: number;
  /** The failure rate (per second) when last evaluated. */
  rate: number;
}

/** "Pressure": a failed password login (worker) or a challenge issued and not yet solved (edge). */
export interface PressureWindow {
  /** Failures per second, oldest first: `seconds` entries ending with the current (partial) second. */
  perSecond: number[];
  /** Distinct sources of pressure in the last minute (an estimate: HyperLogLog in Redis). */
  sources: number;
}

export interface StuffingStore {
  /**
   * Adds `count` pressure events in epoch second `second`, from `sources` (client sources: sourceOf);
   * `issued` of them were challenges an edge issued, also counted by minute for `takeIssued`.
   */
  add(second: number, count: number, sources: readonly string[], issued?: number): Promise<void>;
  /** The challenges issued in epoch minute `minute`, for the one caller that takes them (null: none, or taken). */
  takeIssued(minute: number): Promise<number | null>;
  /** The last `seconds` seconds up to and including `nowSecond`, and the distinct sources of the last minute. */
  read(nowSecond: number, seconds: number): Promise<PressureWindow>;
  /** The defence's state, or null while it is off. */
  state(): Promise<StuffingState | null>;
  /** Turns it on unless it is on already; true for the one caller that turned it on. Lives `ttlMs` unless renewed. */
  begin(state: StuffingState, ttlMs: number): Promise<boolean>;
  /** Renews the state (rate, difficulty) while it is on; a no-op once it has ended. */
  renew(state: StuffingState, ttlMs: number): Promise<void>;
  /** Turns it off; the state it had for the one caller that turned it off, null for the others. */
  end(): Promise<StuffingState | null>;
  /** Marks a solved challenge used until `untilMs`; false when it was used already (single use across edges). */
  spend(id: string, untilMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Sources are remembered this long (the distinct-addresses half of detection). */
export const SOURCE_WINDOW_S = 60;
/** Per-second counters live this long: the longest window read (the cooldown) fits in it. */
export const COUNTER_TTL_S = 3700;
