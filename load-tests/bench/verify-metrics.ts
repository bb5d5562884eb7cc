import { cpuMicros } from './process-cpu.ts';
import { startProcess } from '../../test/helpers/processes.ts';
import { tempDir } from '../../test/helpers/services.ts';
import { OPEN_LIMITS, registerAndLogin, round } from './deployment.ts';
import { wrk, type WrkResult } from './wrk.ts';

/**
 * (a') The cost of metrics on the hot path: GET /auth/verify on a cached token, one all-in-one
 * process with metrics on (METRICS_PORT=0) and one with them off. Both are warmed first; then `pairs`
 * pairs of runs, each pair one run of each, their order alternated (off-on, on-off, ...) so that a
 * neighbour's burst or a warming machine favours neither. The figure is the median of the pairs'
 * ratios (on ÷ off); every run is reported. Goal: ≥ 0.97.
 *
 * On a machine shared with other work, throughput is mostly a measure of how much CPU the scheduler
 * gave the process. So each run also reads the process's own CPU time (utime + stime, /proc) and
 * divides it by the requests answered: `cpuRatio` = CPU per request off ÷ on (medians), the
 * throughput ratio the process would show on cores of its own.
 */
export async function benchVerifyMetrics(seconds: number, pairs = 6): Promise<Record<string, unknown>> {
  const onData = tempDir('bench-metrics-on');
  const offData = tempDir('bench-metrics-off');
  const on = await startProcess('all', { DATA_DIR: onData.dir, BCRYPT_COST: '4', METRICS_PORT: '0', ...OPEN_LIMITS });
  const off = await startProcess('all', { DATA_DIR: offData.dir, BCRYPT_COST: '4', METRICS_PORT: 'off', ...OPEN_LIMITS });
  try {
    if (off.metricsPort !== undefined || on.metricsPort === undefined) throw new Error('metrics were not on in one process and off in the other');
    const tokens = { on: (await registerAndLogin(on.url, 'metrics-on')).accessToken, off: (await registerAndLogin(off.url, 'metrics-off')).accessToken };
    const connections = 64;
    const cpuUs: Record<'on' | 'off', number[]> = { on: [], off: [] };
    const load = async (which: 'on' | 'off', runSeconds: number) => {
      const target = which === 'on' ? on : off;
      const before = cpuMicros(target.child.pid!);
      const result = await wrk(`${target.url}/auth/verify`, { seconds: runSeconds, connections, headers: { Authorization: `Bearer ${tokens[which]}` } });
      cpuUs[which].push((cpuMicros(target.child.pid!) - before) / result.requests);
      return result;
    };
    // Warm: JIT, caches, the verify cache entry, before anything is kept.
    await load('off', 2);
    await load('on', 2);
    cpuUs.on.length = 0;
    cpuUs.off.length = 0;
    const runs: Record<'on' | 'off', WrkResult[]> = { on: [], off: [] };
    for (let i = 0; i < pairs; i++) {
      for (const which of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) runs[which].push(await load(which, seconds));
    }
    if ([...runs.on, ...runs.off].some((r) => r.non2xx > 0)) throw new Error('verify answered non-2xx responses');
    const rps = (list: WrkResult[]) => list.map((r) => Math.round(r.requestsPerSecond));
    const pairRatios = runs.on.map((r, i) => round(r.requestsPerSecond / runs.off[i]!.requestsPerSecond));
    const median = (list: number[]) => {
      const sorted = [...list].sort((a, b) => a - b);
      const mid = sorted.length / 2;
      return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    const best = (list: WrkResult[]) => Math.max(...list.map((r) => r.requestsPerSecond));
    // The process with metrics on did count: its counter holds every verify it answered.
    const text = await (await fetch(`http://127.0.0.1:${on.metricsPort}/metrics`)).text();
    const counted = Number(/^authgate_http_requests_total\{route="\/auth\/verify",status="200"\} (\d+)/m.exec(text)?.[1] ?? 0);
    return {
      bench: "a': verify (cached), metrics on ÷ metrics off",
      ratio: round(median(pairRatios)),
      pairRatios,
      ratioOfMedians: round(median(rps(runs.on)) / median(rps(runs.off))),
      ratioOfBest: round(best(runs.on) / best(runs.off)),
      cpuRatio: round(median(cpuUs.off) / median(cpuUs.on)),
      cpuUsPerRequestOn: cpuUs.on.map((v) => Number(v.toFixed(2))),
      cpuUsPerRequestOff: cpuUs.off.map((v) => Number(v.toFixed(2))),
      runsOnRps: rps(runs.on),
      runsOffRps: rps(runs.off),
      verifiesCountedWithMetricsOn: counted,
      metricsOnP99Ms: runs.on.map((r) => r.p99Ms),
      metricsOffP99Ms: runs.off.map((r) => r.p99Ms),
      goal: '≥ 0.97 (median of the pairs)',
      command: `wrk -t1 -c${connections} -d${seconds}s, ${pairs} pairs in alternated order after a 2 s warm-up each`,
    };
  } finally {
    await on.stop();
    await off.stop();
    onData.remove();
    offData.remove();
  }
}
