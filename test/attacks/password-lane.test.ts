import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { post, type HttpAnswer } from '../helpers/http.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';

// Without a budget per source, 100 concurrent logins with unknown emails from one address cost 100
// bcrypts, and a legitimate login from another address waited behind all of them until it timed out.

const ATTACKER = '203.0.113.66';
const OWNER = '198.51.100.20';
const FLOOD = 100;

const from = (ip: string) => ({ 'x-forwarded-for': ip });
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

async function timedLogin(url: string, email: string, ip: string): Promise<{ ms: number; answer: HttpAnswer }> {
  const started = performance.now();
  const answer = await post(url, '/auth/login', { email, password: PASSWORD }, from(ip));
  return { ms: performance.now() - started, answer };
}

async function loginTimes(url: string, email: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const { ms, answer } = await timedLogin(url, email, OWNER);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    times.push(ms);
  }
  return times;
}

describe('one address cannot hold the whole password lane', () => {
  const namespace = uniqueNamespace('lane');
  const data = tempDir('lane');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let edge: RunningProcess;

  before(async () => {
    database = await createTestDatabase('lane');
    // A real cost, so that a bcrypt is the work that queues. Every limit is the default's: 100 logins
    // are well within RATE_LIMIT_IP_PER_MINUTE (600), as in the review's attack.
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '10',
      TRUSTED_PROXIES: '127.0.0.1',
      REQUEST_TIMEOUT_MS: '30000',
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    edge = await startProcess('edge', common);
    processes.push(edge);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  test('100 concurrent unknown-email logins from one address: most refused at once with 429; another address logs in within 3x its idle latency', {
    timeout: 180_000,
  }, async () => {
    const email = newEmail('owner');
    assert.equal((await post(edge.url, '/auth/register', { email, password: PASSWORD }, from(OWNER))).status, 201);
    await loginTimes(edge.url, email, 1); // warm up
    const idleBefore = await loginTimes(edge.url, email, 5);

    // The flood, from its own process: 100 logins in flight from one address, each sent again 500 ms
    // after its answer (a 429 says to wait 1 s; the attacker does not).
    const flood = spawn(process.execPath, ['--import', 'tsx', 'test/attacks/support/flood.ts', edge.url, ATTACKER, String(FLOOD), '500'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    flood.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let during: number[];
    try {
      while (!output.includes('first wave answered')) await new Promise((r) => setTimeout(r, 20));
      during = await loginTimes(edge.url, email, 5);
    } finally {
      flood.stdin!.end();
      await once(flood, 'exit');
    }
    const { byStatus, firstWave } = JSON.parse(output.trim().split('\n').pop()!) as { byStatus: Record<string, number>; firstWave: Record<string, number> };
    const idleAfter = await loginTimes(edge.url, email, 5);

    // Idle is measured on both sides of the flood: the machine's other load comes and goes.
    const idleMs = Math.max(median(idleBefore), median(idleAfter));
    const duringMs = median(during);
    const shown = (values: number[]) => values.map((m) => m.toFixed(0)).join(', ');
    assert.ok(
      duringMs <= 3 * idleMs,
      `a login during the flood took ${duringMs.toFixed(0)} ms (${shown(during)}), idle ${idleMs.toFixed(0)} ms (${shown(idleBefore)} / ${shown(idleAfter)}); the attacker's answers: ${JSON.stringify(byStatus)}`,
    );
    assert.ok((firstWave['429'] ?? 0) >= FLOOD - 10, `of the first ${FLOOD}, only ${firstWave['429'] ?? 0} were refused: ${JSON.stringify(firstWave)}`);
    assert.deepEqual(
      Object.keys(byStatus).filter((status) => status !== '401' && status !== '429'),
      [],
      `the attacker only ever gets 401 or 429: ${JSON.stringify(byStatus)}`,
    );

    // A refusal is a rate_limited answer with its Retry-After.
    const refused = await Promise.all(
      Array.from({ length: 5 }, () => post(edge.url, '/auth/login', { email: newEmail('again'), password: PASSWORD }, from(ATTACKER))),
    );
    const limited = refused.filter((answer) => answer.status === 429);
    assert.ok(limited.length >= 3);
    for (const answer of limited) {
      assert.equal(answer.body.error.code, 'rate_limited');
      assert.equal(answer.headers.get('retry-after'), String(answer.body.error.retryAfter));
    }
  });
});
