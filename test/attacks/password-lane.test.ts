import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { post, type HttpAnswer } from '../helpers/http.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';

// Issue 10, finding 3: 100 concurrent logins with unknown emails from one address cost 100 bcrypts,
// and a legitimate login from another address waited behind all of them until it timed out.

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

describe('finding 3: one address cannot hold the whole password lane', () => {
  const namespace = uniqueNamespace('lane');
  const data = tempDir('lane');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let edge: RunningProcess;

  before(async () => {
    database = await createTestDatabase('lane');
    // A real cost, so that a bcrypt is the work that queues; the request-rate limit out of the way, so
    // that only the budget of concurrent password work can stop the flood.
    const common = { NAMESPACE: namespace, AMQP_URL, REDIS_URL, DATA_DIR: data.dir, BCRYPT_COST: '10', RATE_LIMIT_IP_PER_MINUTE: '1000000', TRUSTED_PROXIES: '127.0.0.1', REQUEST_TIMEOUT_MS: '30000' };
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

  test('100 concurrent unknown-email logins from one address: most refused at once with 429; another address logs in within 3x its idle latency', { timeout: 120_000 }, async () => {
    const email = newEmail('owner');
    assert.equal((await post(edge.url, '/auth/register', { email, password: PASSWORD }, from(OWNER))).status, 201);
    await timedLogin(edge.url, email, OWNER); // warm up
    const idle: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { ms, answer } = await timedLogin(edge.url, email, OWNER);
      assert.equal(answer.status, 200);
      idle.push(ms);
    }
    const idleMs = median(idle);

    // The flood: 100 logins in flight from one address, each sent again as soon as it is answered.
    let flooding = true;
    const firstWave: HttpAnswer[] = [];
    const attacker = async (i: number) => {
      for (let round = 0; flooding; round++) {
        const answer = await post(edge.url, '/auth/login', { email: newEmail(`nobody${i}`), password: PASSWORD }, from(ATTACKER));
        if (round === 0) firstWave.push(answer);
        assert.ok(answer.status === 401 || answer.status === 429, `attacker got ${answer.status}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const flood = Promise.all(Array.from({ length: FLOOD }, (_, i) => attacker(i)));
    await new Promise((r) => setTimeout(r, 300));
    const during: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const { ms, answer } = await timedLogin(edge.url, email, OWNER);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        during.push(ms);
      }
    } finally {
      flooding = false;
      await flood;
    }

    const duringMs = median(during);
    assert.ok(duringMs <= 3 * idleMs, `a login during the flood took ${duringMs.toFixed(0)} ms, idle ${idleMs.toFixed(0)} ms (${during.map((m) => m.toFixed(0)).join(', ')})`);
    const refused = firstWave.filter((a) => a.status === 429);
    assert.ok(refused.length >= FLOOD - 10, `only ${refused.length} of ${FLOOD} were refused`);
    for (const answer of refused) {
      assert.equal(answer.body.error.code, 'rate_limited');
      assert.equal(answer.headers.get('retry-after'), String(answer.body.error.retryAfter));
    }
  });
});
