import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, type TestContext, test } from 'node:test';
import { post } from './helpers/http.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { openSocket } from './helpers/sockets.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';
import { newEmail, PASSWORD } from './helpers/users.ts';

// docs/shared-addresses.md: many people behind one address (an office NAT) all get through an idle
// gateway, and one address flooding the password lane gets no more than its fair share of it.
// PASSWORD_WORK_PER_SOURCE keeps its default everywhere but on the node that tests the bound: the
// defaults are what is tested.

const OFFICE = '192.0.2.10';
const ATTACKER = '203.0.113.77';
const OTHER = '198.51.100.30';
const BOUNDED = '198.51.100.99';
const PEOPLE = 20;
const FLOOD = 40;

const from = (ip: string) => ({ 'x-forwarded-for': ip });
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

interface Shape {
  /** The edges clients may use; one in the all-in-one. */
  edges: RunningProcess[];
  /** An edge (or all-in-one) of the same deployment whose PASSWORD_WORK_PER_SOURCE is BOUND, to cross it. */
  bounded: RunningProcess | undefined;
}

const BOUND = 4;

const COMMON = {
  // A real cost: a bcrypt is the work that queues.
  BCRYPT_COST: '10',
  TRUSTED_PROXIES: '127.0.0.1',
  // Generous: this machine is shared, and a slow lane is not what is tested here.
  REQUEST_TIMEOUT_MS: '30000',
  // The flood must keep the lane busy for the length of the test, not be cut off by the per-minute limit.
  RATE_LIMIT_IP_PER_MINUTE: '100000',
};

/** 20 people behind one address register at the same moment, then log in at the same moment, over REST (both edges) and over WebSocket. */
async function officeSignsUpAndIn(shape: Shape): Promise<void> {
  const edgeOf = (i: number) => shape.edges[i % shape.edges.length]!;
  const emails = Array.from({ length: PEOPLE }, () => newEmail('office'));
  const registered = await Promise.all(emails.map((email, i) => post(edgeOf(i).url, '/auth/register', { email, password: PASSWORD }, from(OFFICE))));
  assert.deepEqual(
    registered.map((a) => a.status),
    emails.map(() => 201),
    JSON.stringify(registered.map((a) => a.body)),
  );
  const loggedIn = await Promise.all(emails.map((email, i) => post(edgeOf(i).url, '/auth/login', { email, password: PASSWORD }, from(OFFICE))));
  assert.deepEqual(
    loggedIn.map((a) => a.status),
    emails.map(() => 200),
    JSON.stringify(loggedIn.map((a) => a.body)),
  );

  // Over WebSocket: every socket's address is 127.0.0.1, one source for all twenty.
  const sockets = await Promise.all(emails.map((_, i) => openSocket(edgeOf(i).wsUrl)));
  try {
    const wsEmails = emails.map(() => newEmail('office-ws'));
    const wsRegistered = await Promise.all(sockets.map((socket, i) => socket.register(wsEmails[i]!, PASSWORD)));
    assert.deepEqual(
      wsRegistered.map((f) => f.status),
      wsEmails.map(() => 201),
      JSON.stringify(wsRegistered.map((f) => f.error)),
    );
    const wsLoggedIn = await Promise.all(sockets.map((socket, i) => socket.login(wsEmails[i]!, PASSWORD)));
    assert.deepEqual(
      wsLoggedIn.map((f) => f.status),
      wsEmails.map(() => 200),
      JSON.stringify(wsLoggedIn.map((f) => f.error)),
    );
  } finally {
    for (const socket of sockets) socket.close();
  }
}

/**
 * One address keeps FLOOD logins in flight (unknown emails, each sent again the moment it is
 * answered) while another address logs in: that login waits for its share of the lane, a bcrypt or
 * two, not for the flood's backlog, which takes FLOOD ÷ the lane's pace to drain.
 */
async function floodLeavesOthersTheirShare(shape: Shape, t: TestContext): Promise<void> {
  const edge = shape.edges[0]!;
  const email = newEmail('other');
  assert.equal((await post(edge.url, '/auth/register', { email, password: PASSWORD }, from(OTHER))).status, 201);
  const flood = spawn(process.execPath, ['--import', 'tsx', 'test/attacks/support/flood.ts', edge.url, ATTACKER, String(FLOOD), '0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  flood.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const during: number[] = [];
  let floodMs: number;
  try {
    while (!output.includes('first wave answered')) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    for (let i = 0; i < 5; i++) {
      const sent = performance.now();
      const answer = await post(edge.url, '/auth/login', { email, password: PASSWORD }, from(OTHER));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      during.push(performance.now() - sent);
    }
    // Keep the flood going for a while after, so that its pace is measured over a long enough time.
    await new Promise((r) => setTimeout(r, 1500));
    floodMs = performance.now() - started;
  } finally {
    flood.stdin!.end();
    await once(flood, 'exit');
  }
  const { byStatus, firstWave } = JSON.parse(output.trim().split('\n').pop()!) as { byStatus: Record<string, number>; firstWave: Record<string, number> };
  // The flood's pace after its first wave (answered before the measured time began): the lane's pace.
  const perSecond = ((byStatus['401'] ?? 0) - (firstWave['401'] ?? 0)) / (floodMs / 1000);
  const drainMs = (FLOOD / perSecond) * 1000;
  const shown = during.map((m) => m.toFixed(0)).join(', ');
  const summary = `a login from another address took ${median(during).toFixed(0)} ms (${shown}) while the flood's backlog of ${FLOOD} takes ${drainMs.toFixed(0)} ms to drain (${perSecond.toFixed(1)}/s; flood answers ${JSON.stringify(byStatus)})`;
  t.diagnostic(summary);
  // Rounds off (first come first served), the median was above the whole drain time on both shapes.
  assert.ok(median(during) < drainMs / 2, summary);
  // The flood gets what the lane leaves it: its unknown-email answers, or `overloaded` when its higher
  // rounds would not be answered within the deadline. Never a 504, never a 429 below its bound.
  assert.deepEqual(
    Object.keys(byStatus).filter((status) => status !== '401' && status !== '503'),
    [],
    JSON.stringify(byStatus),
  );
}

/**
 * Past the per-source bound: 429 rate_limited with Retry-After. On a node of the deployment whose
 * bound is small (the default, 100, takes more logins than a loaded lane admits within its deadline:
 * those are refused `overloaded` first, and give their units back).
 */
async function pastTheBound(shape: Shape): Promise<void> {
  const edge = shape.bounded!;
  const answers = await Promise.all(
    Array.from({ length: 3 * BOUND }, () => post(edge.url, '/auth/login', { email: newEmail('bound'), password: PASSWORD }, from(BOUNDED))),
  );
  const limited = answers.filter((a) => a.status === 429);
  assert.ok(limited.length >= BOUND, JSON.stringify(answers.map((a) => a.status)));
  for (const answer of limited) {
    assert.equal(answer.body.error.code, 'rate_limited');
    assert.ok(answer.body.error.retryAfter >= 1);
    assert.equal(answer.headers.get('retry-after'), String(answer.body.error.retryAfter));
  }
  assert.deepEqual(
    answers.map((a) => a.status).filter((s) => s !== 401 && s !== 429),
    [],
  );
}

describe('shared addresses: fair password-lane sharing', () => {
  const data = tempDir('shared-addr');
  after(() => data.remove());

  describe('distributed: two edges, two workers, RabbitMQ, Redis, PostgreSQL', () => {
    const namespace = uniqueNamespace('shared-addr');
    const processes: RunningProcess[] = [];
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    const shape: Shape = { edges: [], bounded: undefined };
    before(async () => {
      database = await createTestDatabase('shared-addr');
      const env = { ...COMMON, NAMESPACE: namespace, AMQP_URL, REDIS_URL, DATA_DIR: `${data.dir}/dist`, UV_THREADPOOL_SIZE: '1' };
      // One worker first: in development it creates the signing key the others use.
      processes.push(await startProcess('worker', { ...env, DATABASE_URL: database.url }));
      const started = await Promise.all([
        startProcess('worker', { ...env, DATABASE_URL: database.url }),
        startProcess('edge', env),
        startProcess('edge', env),
        startProcess('edge', { ...env, PASSWORD_WORK_PER_SOURCE: String(BOUND) }),
      ]);
      processes.push(...started);
      shape.edges = started.slice(1, 3);
      shape.bounded = started[3];
    });
    after(async () => {
      await Promise.all(processes.map((p) => p.stop()));
      await database?.drop();
      await cleanupNamespace(namespace);
    });
    test('20 people behind one address register and log in at once on an idle gateway: all succeed', { timeout: 60_000 }, () => officeSignsUpAndIn(shape));
    test('one address floods the lane: another address logs in within its fair share', { timeout: 90_000 }, (t) => floodLeavesOthersTheirShare(shape, t));
    test('past the per-source bound: 429 rate_limited with Retry-After', { timeout: 60_000 }, () => pastTheBound(shape));
  });

  describe('all-in-one', () => {
    const shape: Shape = { edges: [], bounded: undefined };
    before(async () => {
      const [all, bounded] = await Promise.all([
        startProcess('all', { ...COMMON, DATA_DIR: `${data.dir}/all` }),
        startProcess('all', { ...COMMON, DATA_DIR: `${data.dir}/all-bounded`, PASSWORD_WORK_PER_SOURCE: String(BOUND) }),
      ]);
      shape.edges = [all];
      shape.bounded = bounded;
    });
    after(() => Promise.all([shape.edges[0]?.stop(), shape.bounded?.stop()]));
    test('20 people behind one address register and log in at once on an idle gateway: all succeed', { timeout: 60_000 }, () => officeSignsUpAndIn(shape));
    test('one address floods the lane: another address logs in within its fair share', { timeout: 90_000 }, (t) => floodLeavesOthersTheirShare(shape, t));
    test('past the per-source bound: 429 rate_limited with Retry-After', { timeout: 60_000 }, () => pastTheBound(shape));
  });
});
