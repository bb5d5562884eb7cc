import { SOURCE_WINDOW_S, type PressureWindow, type StuffingState, type StuffingStore } from './types.ts';

/**
 * The all-in-one's store: one process, so the edge and the worker share this object (the composition
 * module builds one). Bounded: per-second counts and per-ten-second source sets older than their
 * windows are dropped on each write, and spent challenges when they expire.
 */
export class MemoryStuffingStore implements StuffingStore {
  private readonly counts = new Map<number, number>();
  /** Sources by ten-second slot. */
  private readonly sourceSlots = new Map<number, Set<string>>();
  private current: { state: StuffingState; until: number } | null = null;
  private readonly spent = new Map<string, number>();
  private readonly issuedByMinute = new Map<number, number>();

  constructor(
    private readonly keepSeconds = 3700,
    private readonly now: () => number = Date.now,
  ) {}

  async add(second: number, count: number, sources: readonly string[], issued = 0): Promise<void> {
    this.counts.set(second, (this.counts.get(second) ?? 0) + count);
    if (issued > 0) {
      const minute = Math.floor(second / 60);
      this.issuedByMinute.set(minute, (this.issuedByMinute.get(minute) ?? 0) + issued);
      for (const m of this.issuedByMinute.keys()) if (m < minute - 10) this.issuedByMinute.delete(m);
    }
    const slot = Math.floor(second / 10);
    let set = this.sourceSlots.get(slot);
    if (!set) this.sourceSlots.set(slot, (set = new Set()));
    for (const source of sources) set.add(source);
    for (const s of this.counts.keys()) if (s < second - this.keepSeconds) this.counts.delete(s);
    for (const s of this.sourceSlots.keys()) if (s < slot - SOURCE_WINDOW_S / 10) this.sourceSlots.delete(s);
  }

  async read(nowSecond: number, seconds: number): Promise<PressureWindow> {
    const perSecond: number[] = [];
    for (let s = nowSecond - seconds + 1; s <= nowSecond; s++) perSecond.push(this.counts.get(s) ?? 0);
    const slot = Math.floor(nowSecond / 10);
    const union = new Set<string>();
    for (let s = slot - SOURCE_WINDOW_S / 10 + 1; s <= slot; s++) for (const source of this.sourceSlots.get(s) ?? []) union.add(source);
    return { perSecond, sources: union.size };
  }

  async takeIssued(minute: number): Promise<number | null> {
    const issued = this.issuedByMinute.get(minute);
    this.issuedByMinute.delete(minute);
    return issued ?? null;
  }

  async state(): Promise<StuffingState | null> {
    const live = this.live();
    return live ? { ...live } : null;
  }

  // Each check-and-set below runs without an await between them: atomic within the process.
  async begin(state: StuffingState, ttlMs: number): Promise<boolean> {
    if (this.live()) return false;
    this.current = { state: { ...state }, until: this.now() + ttlMs };
    return true;
  }

  async renew(state: StuffingState, ttlMs: number): Promise<void> {
    if (this.live()) this.current = { state: { ...state }, until: this.now() + ttlMs };
  }

  async end(): Promise<StuffingState | null> {
    const live = this.live();
    this.current = null;
    return live ? { ...live } : null;
  }

  private live(): StuffingState | null {
    if (this.current && this.current.until <= this.now()) this.current = null;
    return this.current?.state ?? null;
  }

  async spend(id: string, untilMs: number): Promise<boolean> {
    const now = this.now();
    if (this.spent.size > 10_000) for (const [key, until] of this.spent) if (until <= now) this.spent.delete(key);
    const until = this.spent.get(id);
    if (until !== undefined && until > now) return false;
    this.spent.set(id, untilMs);
    return true;
  }

  async close(): Promise<void> {
    this.counts.clear();
    this.sourceSlots.clear();
    this.spent.clear();
  }
}
