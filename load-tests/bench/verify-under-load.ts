import { startProcess } from '../../scripts/lib/processes.ts';
import { tempDir } from '../../scripts/lib/services.ts';
import { OPEN_LIMITS, post, PASSWORD, registerAndLogin, round, startPipeline } from './deployment.ts';
import { wrk } from './wrk.ts';

/**
 * (d) Verify latency while the workers are saturated with bcrypt: p99 of GET /auth/verify during a
 * login storm ÷ its p99 when idle, same edge, same wrk settings, same run. In the cluster shape (an
 * edge and a worker, separate processes) and all-in-one, each with the bcrypt threads at the normal
 * priority (BCRYPT_NICE=0, as before issue 17) and lowered (BCRYPT_NICE=10, the default), alternated.
 */
export async function benchVerifyUnderLoad(seconds: number, bcryptCost: number): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const shape of ['cluster', 'all'] as const) {
    for (const nice of ['0', '10']) rows.push(await oneShape(shape, nice, seconds, bcryptCost));
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
  const deployment = await start(shape, { BCRYPT_NICE: nice }, bcryptCost);
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
    const settings = { seconds: Math.max(2, Math.round(seconds / cycles)), connections: 16, headers };
    const pairs: { idleP99Ms: number; stormP99Ms: number; ratio: number; loginsPerSecond: number }[] = [];
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
      pairs.push({ idleP99Ms: idle.p99Ms, stormP99Ms: loaded.p99Ms, ratio: round(loaded.p99Ms / idle.p99Ms), loginsPerSecond: round(loginsPerSecond, 2) });
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return {
      bench: `d: verify p99 during a login storm ÷ idle, ${shape === 'cluster' ? 'edge + worker processes' : 'all-in-one'}, BCRYPT_NICE=${nice}`,
      ratio: median(pairs.map((p) => p.ratio)),
      idleP99Ms: median(pairs.map((p) => p.idleP99Ms)),
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
