import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { round, type LatencySummary } from '../metrics/histogram.ts';
import { rate, sortByCount, type ScenarioMetrics } from '../metrics/recorder.ts';
import { CLIENT_CODES } from '../outcomes.ts';
import { assertLoopback } from '../target.ts';

const run = promisify(execFile);
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'verify-storm.lua');

export interface WrkOptions {
  /** Base URLs: one wrk process for each, all at once. */
  urls: string[];
  tokensFile: string;
  threads: number;
  connections: number;
  durationS: number;
  timeoutS: number;
  label: string;
}

/** What verify-storm.lua prints in done(). */
export interface WrkOutput {
  durationUs: number;
  requests: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { min: number; max: number; mean: number; percentiles: [number, number][] };
  statuses: Record<string, number>;
  codes: Record<string, number>;
  okAt: Record<string, number>;
  failedAt: Record<string, number>;
}

async function runOne(url: string, options: WrkOptions): Promise<WrkOutput> {
  assertLoopback(url);
  const args = [
    `-t${options.threads}`,
    `-c${Math.max(options.connections, options.threads)}`,
    `-d${options.durationS}s`,
    `--timeout`,
    `${options.timeoutS}s`,
    '-s',
    SCRIPT,
    url,
    '--',
    options.tokensFile,
  ];
  const { stdout } = await run('wrk', args, { timeout: (options.durationS + options.timeoutS + 30) * 1000, maxBuffer: 16 * 1024 * 1024 });
  const line = stdout.split('\n').find((l) => l.startsWith('AUTHGATE_WRK_JSON '));
  if (!line) throw new Error(`wrk printed no result line:\n${stdout}`);
  return JSON.parse(line.slice('AUTHGATE_WRK_JSON '.length)) as WrkOutput;
}

/** wrk (Debian's package) drives the verify storm: Node clients cannot saturate a uWebSockets.js edge. */
export async function runWrk(options: WrkOptions): Promise<ScenarioMetrics> {
  const outputs = await Promise.all(options.urls.map((url) => runOne(url, options)));
  return wrkMetrics(outputs, options.label);
}

/** Several wrk processes (one per edge) as one scenario's metrics. */
export function wrkMetrics(outputs: WrkOutput[], label: string): ScenarioMetrics {
  const sum = (f: (o: WrkOutput) => number) => outputs.reduce((n, o) => n + f(o), 0);
  const errorsByCode: Record<string, number> = {};
  const add = (code: string, n: number) => {
    if (n > 0) errorsByCode[code] = (errorsByCode[code] ?? 0) + n;
  };
  for (const o of outputs) for (const [code, n] of Object.entries(o.codes)) add(code, n);
  add(
    CLIENT_CODES.connect,
    sum((o) => o.errors.connect),
  );
  add(
    'socket_error',
    sum((o) => o.errors.read + o.errors.write),
  );
  add(
    CLIENT_CODES.timeout,
    sum((o) => o.errors.timeout),
  );

  const ok = sum((o) => o.statuses['200'] ?? 0);
  const failed = Object.values(errorsByCode).reduce((a, b) => a + b, 0);
  const total = ok + failed;
  const durationS = Math.max(0.001, ...outputs.map((o) => o.durationUs / 1e6));
  const latencyMs = mergedLatency(outputs);

  const seconds = new Map<number, { ok: number; failed: number }>();
  for (const o of outputs) {
    for (const [at, n] of Object.entries(o.okAt))
      seconds.set(Number(at), { ok: (seconds.get(Number(at))?.ok ?? 0) + n, failed: seconds.get(Number(at))?.failed ?? 0 });
    for (const [at, n] of Object.entries(o.failedAt))
      seconds.set(Number(at), { ok: seconds.get(Number(at))?.ok ?? 0, failed: (seconds.get(Number(at))?.failed ?? 0) + n });
  }
  const first = Math.min(...seconds.keys());
  const last = Math.max(...seconds.keys());
  const timeline =
    seconds.size === 0
      ? []
      : Array.from({ length: last - first + 1 }, (_, i) => ({ t: i + 1, ok: seconds.get(first + i)?.ok ?? 0, failed: seconds.get(first + i)?.failed ?? 0 }));

  const sorted = sortByCount(errorsByCode);
  return {
    durationS: round(durationS),
    total,
    ok,
    failed,
    unfinished: 0,
    successRate: rate(ok, total),
    throughputRps: round(total / durationS),
    okPerSecond: round(ok / durationS),
    latencyMs,
    errorsByCode: sorted,
    operations: { [`${label} verify`]: { total, ok, failed, successRate: rate(ok, total), unfinished: 0, errorsByCode: sorted, latencyMs } },
    timeline,
  };
}

/**
 * One latency distribution from several wrk runs: each run's percentile table is read as its
 * cumulative distribution, the runs are weighted by their answers, and the merged percentile is found
 * by bisection. With one run this gives back wrk's own figures.
 */
function mergedLatency(outputs: WrkOutput[]): LatencySummary {
  const runs = outputs.filter((o) => o.requests > 0);
  const count = runs.reduce((n, o) => n + o.requests, 0);
  if (count === 0) return { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  const min = Math.min(...runs.map((o) => o.latencyUs.min));
  const max = Math.max(...runs.map((o) => o.latencyUs.max));
  const cdf = (o: WrkOutput, us: number): number => {
    const table: [number, number][] = [[0, o.latencyUs.min], ...o.latencyUs.percentiles];
    if (us < o.latencyUs.min) return 0;
    for (let i = 1; i < table.length; i++) {
      const [p1, v1] = table[i]!;
      const [p0, v0] = table[i - 1]!;
      if (us <= v1) return v1 === v0 ? p1 : p0 + ((p1 - p0) * (us - v0)) / (v1 - v0);
    }
    return 100;
  };
  const percentile = (p: number): number => {
    if (runs.length === 1) {
      const exact = runs[0]!.latencyUs.percentiles.find(([q]) => q === p);
      if (exact) return exact[1];
    }
    let lo = min;
    let hi = max;
    for (let i = 0; i < 60 && hi - lo > 0.5; i++) {
      const mid = (lo + hi) / 2;
      const below = runs.reduce((n, o) => n + (o.requests * cdf(o, mid)) / 100, 0) / count;
      if (below * 100 < p) lo = mid;
      else hi = mid;
    }
    return hi;
  };
  const ms = (us: number) => round(us / 1000);
  return {
    count,
    mean: ms(runs.reduce((n, o) => n + o.requests * o.latencyUs.mean, 0) / count),
    min: ms(min),
    p50: ms(percentile(50)),
    p90: ms(percentile(90)),
    p95: ms(percentile(95)),
    p99: ms(percentile(99)),
    p999: ms(percentile(99.9)),
    max: ms(max),
  };
}
