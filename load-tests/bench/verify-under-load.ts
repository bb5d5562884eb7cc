import { post, PASSWORD, registerAndLogin, round, startPipeline } from './deployment.ts';
import { wrk } from './wrk.ts';

/**
 * (d) Verify latency while the workers are saturated with bcrypt: p99 of GET /auth/verify during a
 * login storm ÷ its p99 when idle, same edge, same wrk settings, same run.
 */
export async function benchVerifyUnderLoad(seconds: number, bcryptCost: number): Promise<Record<string, unknown>> {
  const pipeline = await startPipeline({ edges: 1, bcryptCost });
  try {
    const edge = pipeline.edges[0]!;
    const { accessToken } = await registerAndLogin(edge.url, 'verify');
    const users = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const email = `storm-${i}-${Date.now()}@example.test`;
        await post(`${edge.url}/auth/register`, { email, password: PASSWORD });
        return email;
      }),
    );
    const headers = { Authorization: `Bearer ${accessToken}` };
    const settings = { seconds, connections: 16, headers };
    const idle = await wrk(`${edge.url}/auth/verify`, settings);

    let logins = 0;
    let stop = false;
    const storm = Promise.all(
      users.map(async (email) => {
        while (!stop) {
          const res = await post(`${edge.url}/auth/login`, { email, password: PASSWORD });
          if (res.status === 200) logins++;
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 1000)); // let the storm fill the worker first
    const loaded = await wrk(`${edge.url}/auth/verify`, settings);
    stop = true;
    await storm;
    return {
      bench: 'd: verify p99 during a login storm ÷ idle',
      idleP99Ms: idle.p99Ms,
      stormP99Ms: loaded.p99Ms,
      ratio: round(loaded.p99Ms / idle.p99Ms),
      idleRps: Math.round(idle.requestsPerSecond),
      stormRps: Math.round(loaded.requestsPerSecond),
      loginsDuringStorm: logins,
      bcryptCost,
      goal: '≤ 2',
    };
  } finally {
    await pipeline.stop();
  }
}
