import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for hot paths. prom-client's own `labels(...)` children hash their label
 * set and validate it on every call; here a child (a "cell") is bound once to its labels and an
 * increment is a plain number addition. The registry reads the cells at scrape time (`get()`), so
 * the families plug into a prom-client Registry next to its own gauges and the default metrics.
 */

type Labels<L extends string> = Readonly<Record<L, string>>;

interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] }>;
}

const keyOf = (labels: Record<string, string>) => JSON.stringify(labels);

export class CounterCell {
  value = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class CounterFamily<L extends string> implements Family {
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  private readonly cells = new Map<string, CounterCell>();
  /** Totals kept elsewhere (plain fields of a stats object), read at scrape time. */
  private readonly readers: Array<{ labels: Record<string, string>; read: () => number }> = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[] = [],
  ) {}

  /** The child for these labels: bind it once, outside the hot path. */
  cell(labels: Labels<L>): CounterCell {
    const key = keyOf(labels);
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, (cell = new CounterCell({ ...labels })));
    return cell;
  }

  /** A counter whose total another object keeps (e.g. Relay.stats.published). */
  read(labels: Labels<L>, read: () => number): this {
    this.readers.push({ labels: { ...labels }, read });
    return this;
  }

  /** Totals kept elsewhere under labels known only at scrape time (e.g. a map by action). */
  readMany(read: () => Iterable<[Labels<L>, number]>): this {
    this.manyReaders.push(read);
    return this;
  }

  private readonly manyReaders: Array<() => Iterable<[Labels<L>, number]>> = [];

  async get() {
    const values: Sample[] = [...this.cells.values()].map((c) => ({ labels: c.labels, value: c.value }));
    for (const r of this.readers) values.push({ labels: r.labels, value: r.read() });
    for (const read of this.manyReaders) for (const [labels, value] of read()) values.push({ labels: { ...labels }, value });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class HistogramCell {
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  private lastIndex = 0;
  private lastValue = 0;

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    this.lastIndex = i;
    this.lastValue = value;
  }

  /** One more observation of the latest value (a request not timed itself: SampledLatency). */
  repeatLast(): void {
    this.counts[this.lastIndex]!++;
    this.sum += this.lastValue;
    this.count++;
  }

  /** Seconds since `startMs` (a performance.now() reading). */
  since(startMs: number): void {
    this.observe((performance.now() - startMs) / 1000);
  }
}

/**
 * Times one request in `2^shift` on a path where reading the clock twice costs more than the work
 * (the cached GET /auth/verify: ~2 × 120 ns here against a few µs): every request is still counted
 * in the histogram, the untimed ones at the latency last measured. Counts stay exact; the
 * distribution is that of the sampled requests.
 */
export class SampledLatency {
  private n = 0;
  private readonly mask: number;

  constructor(
    readonly cell: HistogramCell,
    shift = 3,
  ) {
    this.mask = (1 << shift) - 1;
  }

  /** A performance.now() reading for a request to time, or -1 for one that takes the latest latency. */
  start(): number {
    return (this.n++ & this.mask) === 0 ? performance.now() : -1;
  }

  end(started: number): void {
    if (started < 0) this.cell.repeatLast();
    else this.cell.since(started);
  }
}

/** Latency buckets in seconds: from a cached verify (tens of µs) to a bcrypt login under load. */
export const LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class HistogramFamily<L extends string> implements Family {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly cells = new Map<string, HistogramCell>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[] = [],
    readonly buckets: readonly number[] = LATENCY_BUCKETS,
  ) {}

  cell(labels: Labels<L>): HistogramCell {
    const key = keyOf(labels);
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, (cell = new HistogramCell({ ...labels }, this.buckets)));
    return cell;
  }

  async get() {
    const values: Sample[] = [];
    for (const cell of this.cells.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += cell.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...cell.labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...cell.labels, le: '+Inf' }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels: cell.labels, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: cell.labels, value: cell.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** Adds a family to a prom-client registry (which reads it through `get()` like its own metrics). */
export function register<F extends Family>(registry: Registry, family: F): F {
  registry.registerMetric(family as unknown as Metric);
  return family;
}
