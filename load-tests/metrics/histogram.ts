/**
 * Latency histogram with logarithmic buckets (1 % wide) from 1 µs to 10 min: bounded memory however
 * long a run lasts, percentiles within 1 %, min/max/mean exact. Written here because no histogram
 * library is among the project's dependencies (autocannon's hdr-histogram-js is its own, internal).
 */
const MIN_MS = 0.001;
const MAX_MS = 600_000;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH) + 1;

export interface LatencySummary {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const clamped = Math.min(Math.max(ms, MIN_MS), MAX_MS);
    this.counts[Math.ceil(Math.log(clamped / MIN_MS) / LOG_GROWTH)]! += 1;
    this.count += 1;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** The value at percentile `p` (0-100): the upper edge of its bucket, never above the exact max. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Math.max(MIN_MS * GROWTH ** i, this.min), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    if (this.count === 0) return { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: this.count,
      mean: round(this.sum / this.count),
      min: round(this.min),
      p50: round(this.percentile(50)),
      p90: round(this.percentile(90)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      p999: round(this.percentile(99.9)),
      max: round(this.max),
    };
  }
}

/** Milliseconds to 3 decimals (a microsecond): finer would only be noise. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
