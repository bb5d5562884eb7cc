import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startProcess, type RunningProcess } from '../../test/helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../test/helpers/services.ts';
import { wrk } from './wrk.ts';

/**
 * npm run bench: ratios measured within one run on this machine, each against a baseline taken in the
 * same run, never absolute figures from different runs. Loopback only; every phase is bounded in time.
 *   (a) GET /auth/verify on a cached token ÷ a bare uWebSockets.js handler (wrk)
 *   (b) logins per second through edge → RabbitMQ → worker → Redis → edge ÷ bcrypt compares per second
 */
const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const only = new Set((process.env.BENCH_ONLY ?? 'a,b').split(','));
const PASSWORD = 'bench password 1';
const open: RunningProcess[] = [];

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

async function benchVerify(): Promise<Record<string, unknown>> {
  const data = tempDir('bench-a');
  const edge = await startProcess('all', { DATA_DIR: data.dir, BCRYPT_COST: '4', RATE_LIMIT_IP_PER_MINUTE: '10000000' });
  open.push(edge);
  const baseline = await startBare();
  const email = `bench-${Date.now()}@example.test`;
  await post(`${edge.url}/auth/register`, { email, password: PASSWORD });
  const login = await post(`${edge.url}/auth/login`, { email, password: PASSWORD });
  const headers = { Authorization: `Bearer ${login.body.accessToken}` };
  const connections = 64;
  // Alternate the two servers, twice each, and keep each one's best: warm-up and noise hit both alike.
  const bareRuns = [];
  const edgeRuns = [];
  for (let i = 0; i < 2; i++) {
    bareRuns.push(await wrk(`${baseline.url}/auth/verify`, { seconds: SECONDS, connections, headers }));
    edgeRuns.push(await wrk(`${edge.url}/auth/verify`, { seconds: SECONDS, connections, headers }));
  }
  const best = (runs: Awaited<ReturnType<typeof wrk>>[]) => runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const b = best(bareRuns);
  const e = best(edgeRuns);
  if (e.non2xx > 0) throw new Error(`verify answered ${e.non2xx} non-2xx responses`);
  await baseline.stop();
  await edge.stop();
  data.remove();
  return {
    bench: 'a: verify (cached) ÷ bare uWS',
    bareRps: Math.round(b.requestsPerSecond),
    verifyRps: Math.round(e.requestsPerSecond),
    ratio: round(e.requestsPerSecond / b.requestsPerSecond),
    verifyP99Ms: e.p99Ms,
    goal: '≥ 0.75',
    command: `wrk -t1 -c${connections} -d${SECONDS}s`,
  };
}

async function startBare(): Promise<{ url: string; stop: () => Promise<unknown> }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('load-tests', 'bench', 'bare-uws.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port as number));
    child.once('exit', () => reject(new Error('bare uWS server exited')));
  });
  return { url: `http://127.0.0.1:${port}`, stop: async () => child.kill('SIGTERM') };
}

async function benchLogins(): Promise<Record<string, unknown>> {
  const threads = os.availableParallelism();
  const { stdout } = await run(process.execPath, ['--require', './bin/threadpool.cjs', '--import', 'tsx', 'load-tests/bench/bcrypt-rate.ts'], {
    env: { ...process.env, BCRYPT_COST: String(COST), SECONDS: String(SECONDS), UV_THREADPOOL_SIZE: String(threads) },
  });
  const baseline = JSON.parse(stdout) as { comparesPerSecond: number };

  const namespace = uniqueNamespace('bench');
  const database = await createTestDatabase('bench');
  const data = tempDir('bench-b');
  const env = {
    NAMESPACE: namespace, AMQP_URL, REDIS_URL, DATA_DIR: data.dir, BCRYPT_COST: String(COST),
    RATE_LIMIT_IP_PER_MINUTE: '10000000', REQUEST_TIMEOUT_MS: '60000', UV_THREADPOOL_SIZE: String(threads),
  };
  const worker = await startProcess('worker', { ...env, DATABASE_URL: database.url });
  const edge = await startProcess('edge', env);
  open.push(worker, edge);
  const users = Array.from({ length: 64 }, (_, i) => `bench-login-${i}-${Date.now()}@example.test`);
  for (const email of users) await post(`${edge.url}/auth/register`, { email, password: PASSWORD });

  // Enough logins in flight to keep every bcrypt thread busy through the queue's round trip.
  const inFlight = threads * 4;
  let ok = 0;
  let failed = 0;
  let next = 0;
  const started = Date.now();
  const until = started + SECONDS * 1000;
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
  await edge.stop();
  await worker.stop();
  await database.drop();
  await cleanupNamespace(namespace);
  data.remove();
  return {
    bench: 'b: logins/s through the pipeline ÷ bcrypt compares/s',
    bcryptCost: COST,
    threads,
    bcryptComparesPerSecond: round(baseline.comparesPerSecond),
    loginsPerSecond: round(loginsPerSecond),
    failedLogins: failed,
    ratio: round(loginsPerSecond / baseline.comparesPerSecond),
    goal: '≥ 0.9',
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

const results: Record<string, unknown>[] = [];
try {
  if (only.has('a')) results.push(await benchVerify());
  if (only.has('b')) results.push(await benchLogins());
} finally {
  await Promise.all(open.map((p) => p.stop()));
}
console.table(results);
const report = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, at: new Date().toISOString(), results };
mkdirSync('load-tests/reports', { recursive: true });
const file = path.join('load-tests/reports', `bench-${Date.now()}.json`);
writeFileSync(file, JSON.stringify(report, null, 2));
console.log(`written ${file}`);
