import { startProcess } from '../../scripts/lib/processes.ts';
import { tempDir } from '../../scripts/lib/services.ts';
import { OPEN_LIMITS, post, PASSWORD, registerAndLogin, round, startPipeline } from './deployment.ts';
import { wrk } from './wrk.ts';

/**
 * (d) Verify latency while the workers are saturated with bcrypt: p99 of GET /auth/verify during a
 * login storm ÷ its p99 when idle, same edge, same wrk settings, same run. In the cluster shape (an
 * edge and a worker, separate processes) and all-in-one, for each bcrypt thread priority of
 * BENCH_STORM_NICE (default `0,10,idle`: bcrypt's threads at the event loop's priority, the nice default, SCHED_IDLE).
 *
 * The verify load is paced (BENCH_STORM_PACE_MS, default 1: each of 16 connections waits 1 ms after an
 * answer, some 12,000 verifies/s): latency is measured at a steady rate, as a service is, rather than
 * with the edge already saturated when idle, where any other runnable thread only lengthens a queue.
 * BENCH_STORM_PACE_MS=0 measures the saturated edge, as the row did before. BENCH_STORM_THREADS sets
 * the worker's bcrypt threads (UV_THREADPOOL_SIZE; default: one per core): fewer leave the edge a core.
 */
export async function benchVerifyUnderLoad(seconds: number, bcryptCost: number): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const priorities = (process.env.BENCH_STORM_NICE ?? '0,10,idle').split(',');
  const shapes = (process.env.BENCH_STORM_SHAPES ?? 'cluster,all').split(',') as ('cluster' | 'all')[];
  for (const shape of shapes) {
    for (const nice of priorities) rows.push(await oneShape(shape, nice, seconds, bcryptCost));
  }
  return rows;
}

async function start(shape: 'cluster' | 'all', env: Record<string, string>, bcryptCost: number): Promise<{ url: string; stop: () => Promise<unknown> }> {
  if (shape === 'cluster') {
    const pipeline = await startPipeline({ edges: 1, bcryptCost, env });
    return { url: pipeline.edges[0]!.url, stop: () => pipeline.stop() };
  }
  const data = tempDir('bench-d');
  const all = await startProcess('all', { DATA_DIR: data.dir, BCRYPT_COST: String(bcryptCost), ...OPEN_LIMITS, ...env });
  return {
    url: all.url,
    stop: async () => {
      await all.stop();
      data.remove();
    },
  };
}

async function oneShape(shape: 'cluster' | 'all', nice: string, seconds: number, bcryptCost: number): Promise<Record<string, unknown>> {
  const threads = process.env.BENCH_STORM_THREADS;
  const deployment = await start(shape, { BCRYPT_NICE: nice, ...(threads ? { UV_THREADPOOL_SIZE: threads } : {}) }, bcryptCost);
  try {
    const url = deployment.url;
    const { accessToken } = await registerAndLogin(url, 'verify');
    const users = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const email = `storm-${i}-${Date.now()}@example.test`;
        await post(`${url}/auth/register`, { email, password: PASSWORD });
        return email;
      }),
    );
    const headers = { Authorization: `Bearer ${accessToken}` };
    // Idle and storm windows alternate, CYCLES times: on a shared machine a single pair says more about
    // the neighbours than about this edge; the median of the pairs' ratios is reported.
    const cycles = Number(process.env.BENCH_STORM_CYCLES ?? 3);
    const paceMs = Number(process.env.BENCH_STORM_PACE_MS ?? 1);
    const settings = { seconds: Math.max(2, Math.round(seconds / cycles)), connections: 16, headers, paceMs };
    const pairs: { idleP99Ms: number; stormP99Ms: number; ratio: number; loginsPerSecond: number; verifiesPerSecond: number }[] = [];
    for (let cycle = 0; cycle < cycles; cycle++) {
      const idle = await wrk(`${url}/auth/verify`, settings);
      let logins = 0;
      let stop = false;
      const storm = Promise.all(
        users.map(async (email) => {
          while (!stop) {
            const res = await post(`${url}/auth/login`, { email, password: PASSWORD });
            if (res.status === 200) logins++;
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 1000)); // let the storm fill the worker first
      const started = Date.now();
      const loginsBefore = logins;
      const loaded = await wrk(`${url}/auth/verify`, settings);
      const loginsPerSecond = (logins - loginsBefore) / ((Date.now() - started) / 1000);
      stop = true;
      await storm;
      pairs.push({
        idleP99Ms: idle.p99Ms,
        stormP99Ms: loaded.p99Ms,
        ratio: round(loaded.p99Ms / idle.p99Ms),
        loginsPerSecond: round(loginsPerSecond, 2),
        verifiesPerSecond: Math.round(loaded.requestsPerSecond),
      });
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return {
      bench: `d: verify p99 during a login storm ÷ idle, ${shape === 'cluster' ? 'edge + worker processes' : 'all-in-one'}, BCRYPT_NICE=${nice}${threads ? `, UV_THREADPOOL_SIZE=${threads}` : ''}`,
      ratio: median(pairs.map((p) => p.ratio)),
      idleP99Ms: median(pairs.map((p) => p.idleP99Ms)),
      verifyLoad: paceMs ? `paced: 16 connections, ${paceMs} ms after each answer` : 'saturated: 16 connections',
      stormP99Ms: median(pairs.map((p) => p.stormP99Ms)),
      loginsPerSecondDuringStorm: median(pairs.map((p) => p.loginsPerSecond)),
      pairs,
      bcryptCost,
      goal: '≤ 2',
    };
  } finally {
    await deployment.stop();
  }
}
