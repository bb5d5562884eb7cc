import type { StuffingStore } from './stores/types.ts';

/** The most distinct sources one process remembers between two flushes (a bound, not a detection limit). */
const MAX_SOURCES_PER_FLUSH = 5_000;

/**
 * Pressure counted in this process and added to the deployment-wide window once a second: a failed
 * login or an issued challenge costs a counter increment here, never a round trip to Redis.
 */
export class PressureTally {
  /** `challenges`: what is noted are challenges issued (an edge's tally), counted by minute as well. */
  constructor(private readonly challenges = false) {}

  private count = 0;
  private sources = new Set<string>();

  note(source: string): void {
    this.count++;
    if (this.sources.size < MAX_SOURCES_PER_FLUSH) this.sources.add(source);
  }

  /** Adds what was counted since the last flush to `second`; on failure it is kept for the next. */
  async flush(store: StuffingStore, second: number): Promise<void> {
    if (this.count === 0) return;
    const count = this.count;
    const sources = [...this.sources];
    this.count = 0;
    this.sources = new Set();
    try {
      await store.add(second, count, sources, this.challenges ? count : 0);
    } catch (err) {
      this.count += count;
      for (const source of sources) if (this.sources.size < MAX_SOURCES_PER_FLUSH) this.sources.add(source);
      throw err;
    }
  }
}
