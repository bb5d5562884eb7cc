import { LatencyHistogram, round, type LatencySummary } from './histogram.ts';

/** How one request ended: `ok`, or failed with a code (docs/errors.md's error.code, or the client's own). */
export type Outcome = { ok: true } | { ok: false; code: string };

export interface OperationMetrics {
  total: number;
  ok: number;
  failed: number;
  successRate: number;
  /** Still in flight when the scenario's time ran out: in no other count. */
  unfinished: number;
  errorsByCode: Record<string, number>;
  /** Over every answered request of this operation, failed ones included. */
  latencyMs: LatencySummary;
}

export interface TimelinePoint {
  /** Seconds since the scenario started; the point counts what was answered during that second. */
  t: number;
  ok: number;
  failed: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
}

/** What one scenario measured: the shape every driver (autocannon, WebSocket, wrk) reports in. */
export interface ScenarioMetrics {
  durationS: number;
  /** Requests that ended: answered, or failed on the client's side (timeout, closed connection). */
  total: number;
  ok: number;
  failed: number;
  /** Requests still in flight when the scenario's time ran out: in no other count. */
  unfinished: number;
  successRate: number;
  /** Ended requests per second over the whole scenario. */
  throughputRps: number;
  okPerSecond: number;
  latencyMs: LatencySummary;
  errorsByCode: Record<string, number>;
  operations: Record<string, OperationMetrics>;
  timeline: TimelinePoint[];
}

class OperationCounter {
  ok = 0;
  failed = 0;
  unfinished = 0;
  readonly errors = new Map<string, number>();
  readonly latency = new LatencyHistogram();
}

class Second {
  ok = 0;
  failed = 0;
  readonly latency = new LatencyHistogram();
}

/** Counts one scenario's requests by operation, outcome, error code and second. */
export class ScenarioRecorder {
  readonly startedAt = Date.now();
  private endedAt: number | undefined;
  private readonly operations = new Map<string, OperationCounter>();
  private readonly seconds: Second[] = [];
  ok = 0;
  failed = 0;

  /** `latencyMs` is undefined when the request got no answer (its time is then not a latency). */
  private counter(operation: string): OperationCounter {
    let counter = this.operations.get(operation);
    if (!counter) this.operations.set(operation, (counter = new OperationCounter()));
    return counter;
  }

  record(operation: string, outcome: Outcome, latencyMs: number | undefined, at = Date.now()): void {
    const counter = this.counter(operation);
    const index = Math.max(0, Math.floor((at - this.startedAt) / 1000));
    // Bounded by the scenario's own time limit; the cap only guards against a clock jump.
    if (index > 86_400) return;
    while (this.seconds.length <= index) this.seconds.push(new Second());
    const second = this.seconds[index]!;
    if (outcome.ok) {
      counter.ok++;
      this.ok++;
      second.ok++;
    } else {
      counter.failed++;
      this.failed++;
      second.failed++;
      counter.errors.set(outcome.code, (counter.errors.get(outcome.code) ?? 0) + 1);
    }
    if (latencyMs !== undefined) {
      counter.latency.record(latencyMs);
      second.latency.record(latencyMs);
    }
  }

  /** A request of `operation` that the scenario's end cut off before its answer (or before it was sent). */
  unfinished(operation: string): void {
    this.counter(operation).unfinished++;
  }

  finish(at = Date.now()): void {
    this.endedAt ??= at;
  }

  get total(): number {
    return this.ok + this.failed;
  }

  /** For the live display: the last complete second's throughput and p99. */
  recent(now = Date.now()): { elapsedS: number; rps: number; p99Ms: number } {
    const elapsedS = (now - this.startedAt) / 1000;
    const last = this.seconds[Math.floor(elapsedS) - 1];
    return { elapsedS, rps: last ? last.ok + last.failed : 0, p99Ms: last ? last.latency.percentile(99) : 0 };
  }

  snapshot(): ScenarioMetrics {
    const durationS = Math.max(0.001, ((this.endedAt ?? Date.now()) - this.startedAt) / 1000);
    const all = new LatencyHistogram();
    const errorsByCode: Record<string, number> = {};
    const operations: Record<string, OperationMetrics> = {};
    let unfinished = 0;
    for (const [name, counter] of [...this.operations].sort(([a], [b]) => a.localeCompare(b))) {
      all.merge(counter.latency);
      const errors = Object.fromEntries([...counter.errors].sort(([, a], [, b]) => b - a));
      for (const [code, n] of counter.errors) errorsByCode[code] = (errorsByCode[code] ?? 0) + n;
      const total = counter.ok + counter.failed;
      unfinished += counter.unfinished;
      operations[name] = {
        total,
        ok: counter.ok,
        failed: counter.failed,
        successRate: rate(counter.ok, total),
        unfinished: counter.unfinished,
        errorsByCode: errors,
        latencyMs: counter.latency.summary(),
      };
    }
    return {
      durationS: round(durationS),
      total: this.total,
      ok: this.ok,
      failed: this.failed,
      unfinished,
      successRate: rate(this.ok, this.total),
      throughputRps: round(this.total / durationS),
      okPerSecond: round(this.ok / durationS),
      latencyMs: all.summary(),
      errorsByCode: sortByCount(errorsByCode),
      operations,
      timeline: this.seconds.map((s, i) => ({
        t: i + 1,
        ok: s.ok,
        failed: s.failed,
        ...(s.latency.count > 0
          ? { p50Ms: round(s.latency.percentile(50)), p95Ms: round(s.latency.percentile(95)), p99Ms: round(s.latency.percentile(99)) }
          : {}),
      })),
    };
  }
}

/** Success rate of an empty run is 0, not 1: nothing answered is no success. */
export function rate(ok: number, total: number): number {
  return total === 0 ? 0 : Math.round((ok / total) * 1e6) / 1e6;
}

export function sortByCount(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([, a], [, b]) => b - a));
}
