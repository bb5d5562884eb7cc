import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { post, PASSWORD, round, startPipeline } from './deployment.ts';

const run = promisify(execFile);

/** bcrypt compares per second on `threads` libuv threads at `cost`, in a bare process. */
export async function bcryptComparesPerSecond(cost: number, seconds: number, threads: number): Promise<number> {
  const { stdout } = await run(process.execPath, ['--require', './bin/threadpool.cjs', '--import', 'tsx', 'load-tests/bench/bcrypt-rate.ts'], {
    env: { ...process.env, BCRYPT_COST: String(cost), SECONDS: String(seconds), UV_THREADPOOL_SIZE: String(threads) },
  });
  return (JSON.parse(stdout) as { comparesPerSecond: number }).comparesPerSecond;
}

/**
 * (b) Logins per second through edge → RabbitMQ → worker → Redis → edge ÷ bcrypt compares per second
 * on the same number of threads at the same cost, measured just before in a bare process.
 */
export async function benchLogins(seconds: number, cost: number): Promise<Record<string, unknown>> {
  const threads = os.availableParallelism();
  const bcryptRate = () => bcryptComparesPerSecond(cost, seconds, threads);
  // The baseline is taken before and after the pipeline run: the mean of the two is compared, and a
  // large gap between them says the machine's load changed during the run.
  const before = await bcryptRate();

  const pipeline = await startPipeline({ edges: 1, bcryptCost: cost, env: { UV_THREADPOOL_SIZE: String(threads) } });
  try {
    const edge = pipeline.edges[0]!;
    const users = Array.from({ length: 64 }, (_, i) => `bench-login-${i}-${Date.now()}@example.test`);
    for (const email of users) await post(`${edge.url}/auth/register`, { email, password: PASSWORD });
    // Enough logins in flight to keep every bcrypt thread busy through the queue's round trip.
    const inFlight = threads * 4;
    let ok = 0;
    let failed = 0;
    let next = 0;
    const started = Date.now();
    const until = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (Date.now() < until) {
          const res = await post(`${edge.url}/auth/login`, { email: users[next++ % users.length], password: PASSWORD });
          if (res.status === 200) ok++;
          else failed++;
        }
      }),
    );
    const loginsPerSecond = ok / ((Date.now() - started) / 1000);
    await pipeline.stop();
    const after = await bcryptRate();
    const baseline = { comparesPerSecond: (before + after) / 2 };
    return {
      bench: 'b: logins/s through the pipeline ÷ bcrypt compares/s',
      bcryptCost: cost,
      threads,
      bcryptComparesPerSecond: round(baseline.comparesPerSecond),
      bcryptBeforeAfter: [round(before), round(after)],
      loginsPerSecond: round(loginsPerSecond),
      failedLogins: failed,
      ratio: round(loginsPerSecond / baseline.comparesPerSecond),
      goal: '≥ 0.9',
    };
  } finally {
    await pipeline.stop();
  }
}
