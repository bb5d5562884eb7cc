import { startProcess } from '../../test/helpers/processes.ts';
import { tempDir } from '../../test/helpers/services.ts';
import { OPEN_LIMITS, registerAndLogin, round } from './deployment.ts';
import { wrk, type WrkResult } from './wrk.ts';

/**
 * (a') The cost of metrics on the hot path: GET /auth/verify on a cached token, one all-in-one
 * process with metrics on (METRICS_PORT=0) and one with them off, measured in the same run,
 * alternated three times each and each one's best kept. Goal: on ÷ off ≥ 0.97.
 */
export async function benchVerifyMetrics(seconds: number): Promise<Record<string, unknown>> {
  const onData = tempDir('bench-metrics-on');
  const offData = tempDir('bench-metrics-off');
  const on = await startProcess('all', { DATA_DIR: onData.dir, BCRYPT_COST: '4', METRICS_PORT: '0', ...OPEN_LIMITS });
  const off = await startProcess('all', { DATA_DIR: offData.dir, BCRYPT_COST: '4', METRICS_PORT: 'off', ...OPEN_LIMITS });
  try {
    if (off.metricsPort !== undefined || on.metricsPort === undefined) throw new Error('metrics were not on in one process and off in the other');
    const tokens = { on: (await registerAndLogin(on.url, 'metrics-on')).accessToken, off: (await registerAndLogin(off.url, 'metrics-off')).accessToken };
    const connections = 64;
    const runs: Record<'on' | 'off', WrkResult[]> = { on: [], off: [] };
    for (let i = 0; i < 3; i++) {
      // Which one goes first alternates too: a warming machine favours neither.
      for (const which of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const target = which === 'on' ? on : off;
        runs[which].push(await wrk(`${target.url}/auth/verify`, { seconds, connections, headers: { Authorization: `Bearer ${tokens[which]}` } }));
      }
    }
    const best = (list: WrkResult[]) => list.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
    const bestOn = best(runs.on);
    const bestOff = best(runs.off);
    if (bestOn.non2xx > 0 || bestOff.non2xx > 0) throw new Error('verify answered non-2xx responses');
    // The process with metrics on did count: its counter holds every verify it answered.
    const text = await (await fetch(`http://127.0.0.1:${on.metricsPort}/metrics`)).text();
    const counted = Number(/^authgate_http_requests_total\{route="\/auth\/verify",status="200"\} (\d+)/m.exec(text)?.[1] ?? 0);
    return {
      bench: "a': verify (cached), metrics on ÷ metrics off",
      metricsOnRps: Math.round(bestOn.requestsPerSecond),
      metricsOffRps: Math.round(bestOff.requestsPerSecond),
      ratio: round(bestOn.requestsPerSecond / bestOff.requestsPerSecond),
      runsOnRps: runs.on.map((r) => Math.round(r.requestsPerSecond)),
      runsOffRps: runs.off.map((r) => Math.round(r.requestsPerSecond)),
      verifiesCountedWithMetricsOn: counted,
      metricsOnP99Ms: bestOn.p99Ms,
      metricsOffP99Ms: bestOff.p99Ms,
      goal: '≥ 0.97',
      command: `wrk -t1 -c${connections} -d${seconds}s, 3 alternated runs each, best kept`,
    };
  } finally {
    await on.stop();
    await off.stop();
    onData.remove();
    offData.remove();
  }
}
