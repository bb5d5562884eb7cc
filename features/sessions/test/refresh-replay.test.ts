import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuthgateSocket } from '@authgate/shared/client/socket-client';
import { call, post } from '../../../test/helpers/http.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';
import { openSocket } from '../../../test/helpers/sockets.ts';
import { newEmail, PASSWORD } from '../../../test/helpers/users.ts';

/**
 * A stolen, already rotated refresh token must never reach the current one. The grace window (long
 * here, so every replay below falls inside it) hands the successor back only while that successor is
 * unused, for sessions with or without a device, and where the session has a device only to a refresh
 * naming it; every other replay, and a logout with a replaced token, revokes the whole family at once.
 * Run over the real pipeline in both shapes.
 */
const GRACE_MS = 30_000;
/** A correctness bound for the revocation broadcast to reach every edge, not a speed target. */
const REVOCATION_DEADLINE_MS = 5_000;

interface Shape {
  a: RunningProcess;
  b: RunningProcess;
  /** The process whose log holds the worker's audit events. */
  worker: RunningProcess;
}

interface Pair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: { id: string };
}

function replayScenarios(get: () => Shape): void {
  async function login(deviceId?: string): Promise<Pair> {
    const { a, b } = get();
    const email = newEmail('replay');
    assert.equal((await post(a.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    const answer = await post(b.url, '/auth/login', { email, password: PASSWORD, ...(deviceId ? { deviceId } : {}) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as Pair;
  }
  const refresh = (url: string, refreshToken: string, deviceId?: string) => post(url, '/auth/refresh', { refreshToken, ...(deviceId ? { deviceId } : {}) });
  const verify = (url: string, token: string) => call(url, 'GET', '/auth/verify', { headers: { authorization: `Bearer ${token}` } });

  async function refusedEverywhere(token: string, what: string): Promise<void> {
    const { a, b } = get();
    const started = Date.now();
    let statuses: number[] = [];
    while (Date.now() - started < REVOCATION_DEADLINE_MS) {
      statuses = (await Promise.all([verify(a.url, token), verify(b.url, token)])).map((r) => r.status);
      if (statuses.every((s) => s === 401)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`${what}: still accepted after ${REVOCATION_DEADLINE_MS} ms (${statuses.join(', ')})`);
  }

  async function assertFamilyRevoked(pairs: Pair[], what: string): Promise<void> {
    const { a, worker } = get();
    for (const pair of pairs) {
      const again = await refresh(a.url, pair.refreshToken, 'laptop');
      assert.equal(again.status, 401, `${what}: a token of the family still refreshes`);
      await refusedEverywhere(pair.accessToken, what);
    }
    const sid = pairs[0]!.sessionId;
    const started = Date.now();
    while (
      !worker.lines.some((l: any) => l.audit?.action === 'refresh.reuse_detected' && l.audit.sessionId === sid) &&
      Date.now() - started < REVOCATION_DEADLINE_MS
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(
      worker.lines.some((l: any) => l.audit?.action === 'refresh.reuse_detected' && l.audit.sessionId === sid),
      `${what}: refresh.reuse_detected audit event`,
    );
  }

  test('a→b, b→c, then a replay of a (same device, inside the grace window) revokes the family instead of handing out b', async () => {
    const { a, b } = get();
    const first = await login('laptop');
    const second = await refresh(a.url, first.refreshToken, 'laptop');
    assert.equal(second.status, 200);
    const third = await refresh(b.url, second.body.refreshToken, 'laptop');
    assert.equal(third.status, 200);
    const replay = await refresh(a.url, first.refreshToken, 'laptop');
    assert.equal(replay.status, 401, `the replay got ${replay.status} ${replay.body?.error?.code ?? 'a token pair'}`);
    assert.equal(replay.body.error.code, 'invalid_token');
    await assertFamilyRevoked([third.body, second.body, first], 'after a replay of a used token');
  });

  test('a replay inside the grace window from another device, or from none, revokes the family', async () => {
    const { a, b } = get();
    for (const thief of ['phone-of-thief', undefined]) {
      const first = await login('laptop');
      const second = await refresh(a.url, first.refreshToken, 'laptop');
      assert.equal(second.status, 200);
      const replay = await refresh(b.url, first.refreshToken, thief);
      assert.equal(replay.status, 401, `device ${thief}: the replay got ${replay.status} ${replay.body?.error?.code ?? 'a token pair'}`);
      await assertFamilyRevoked([second.body, first], `replay from device ${thief}`);
    }
  });

  test('a session signed in without a deviceId, refreshing one token twice at once on both edges, gets one successor pair; the session lives on', async () => {
    const { a, b } = get();
    const first = await login();
    const answers = await Promise.all([refresh(a.url, first.refreshToken), refresh(b.url, first.refreshToken)]);
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200],
      JSON.stringify(answers.map((r) => r.body)),
    );
    assert.equal(answers[0]!.body.refreshToken, answers[1]!.body.refreshToken, 'one successor');
    assert.equal(answers[0]!.body.sessionId, first.sessionId);
    for (const answer of answers) assert.equal((await verify(b.url, answer.body.accessToken)).status, 200);
    assert.equal((await verify(a.url, first.accessToken)).status, 200, 'the session was not revoked');
    const next = await refresh(b.url, answers[0]!.body.refreshToken);
    assert.equal(next.status, 200, 'the successor still refreshes');
  });

  test('without a deviceId too, a replay of a token whose successor was used revokes the family, however soon', async () => {
    const { a, b } = get();
    const first = await login();
    const second = await refresh(a.url, first.refreshToken);
    assert.equal(second.status, 200);
    const third = await refresh(b.url, second.body.refreshToken);
    assert.equal(third.status, 200);
    const replay = await refresh(a.url, first.refreshToken);
    assert.equal(replay.status, 401, `the replay got ${replay.status} ${replay.body?.error?.code ?? 'a token pair'}`);
    assert.equal(replay.body.error.code, 'invalid_token');
    await assertFamilyRevoked([third.body, second.body, first], 'replay in a session without a device');
  });

  test('over WebSocket, a session without a deviceId: a concurrent refresh gets the same pair', async () => {
    const { a, b } = get();
    const socket: AuthgateSocket = await openSocket(a.wsUrl);
    const other: AuthgateSocket = await openSocket(b.wsUrl);
    try {
      const first = await login();
      const answers = await Promise.all([socket.refresh(first.refreshToken), other.refresh(first.refreshToken)]);
      assert.deepEqual(
        answers.map((r) => r.status),
        [200, 200],
        JSON.stringify(answers),
      );
      assert.equal(answers[0]!.data!.refreshToken, answers[1]!.data!.refreshToken, 'one successor');
      assert.equal((await verify(a.url, answers[1]!.data!.accessToken)).status, 200);
    } finally {
      socket.close();
      other.close();
    }
  });

  test('the device that holds the session, refreshing concurrently, gets the unused successor again; the session lives on', async () => {
    const { a, b } = get();
    const first = await login('laptop');
    const answers = await Promise.all([refresh(a.url, first.refreshToken, 'laptop'), refresh(b.url, first.refreshToken, 'laptop')]);
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200],
      JSON.stringify(answers.map((r) => r.body)),
    );
    assert.equal(answers[0]!.body.refreshToken, answers[1]!.body.refreshToken, 'one successor');
    for (const answer of answers) assert.equal((await verify(a.url, answer.body.accessToken)).status, 200);
    const next = await refresh(b.url, answers[0]!.body.refreshToken, 'laptop');
    assert.equal(next.status, 200, 'the successor still refreshes');
  });

  test("over WebSocket, the refresh frame takes the deviceId: a grace replay of the holder succeeds, a thief's revokes", async () => {
    const { a } = get();
    const socket: AuthgateSocket = await openSocket(a.wsUrl);
    try {
      const first = await login('tablet');
      const second = await socket.request<Pair>('refresh', { refreshToken: first.refreshToken, deviceId: 'tablet' });
      assert.equal(second.status, 200);
      const again = await socket.request<Pair>('refresh', { refreshToken: first.refreshToken, deviceId: 'tablet' });
      assert.equal(again.status, 200, JSON.stringify(again));
      assert.equal(again.data!.refreshToken, second.data!.refreshToken);
      const thief = await socket.request('refresh', { refreshToken: first.refreshToken, deviceId: 'elsewhere' });
      assert.equal(thief.status, 401);
      assert.equal(thief.error?.code, 'invalid_token');
      await assertFamilyRevoked([second.data!, first], 'replay over WebSocket');
    } finally {
      socket.close();
    }
  });

  test('logout with a replaced token is a replay: the whole family is revoked', async () => {
    const { a, b } = get();
    const first = await login('laptop');
    const second = await refresh(a.url, first.refreshToken, 'laptop');
    assert.equal(second.status, 200);
    const logout = await post(b.url, '/auth/logout', { refreshToken: first.refreshToken });
    assert.equal(logout.status, 401);
    assert.equal(logout.body.error.code, 'invalid_token');
    await assertFamilyRevoked([second.body, first], 'logout with a replaced token');
  });
}

describe('refresh replay: all-in-one process', () => {
  const data = tempDir('replay-aio');
  let proc: RunningProcess;
  before(async () => {
    proc = await startProcess('all', { DATA_DIR: data.dir, BCRYPT_COST: '4', RATE_LIMIT_IP_PER_MINUTE: '100000', REFRESH_GRACE_MS: String(GRACE_MS) });
  });
  after(async () => {
    await proc?.stop();
    data.remove();
  });
  replayScenarios(() => ({ a: proc, b: proc, worker: proc }));
});

describe('refresh replay: two edges and a worker over RabbitMQ, Redis and PostgreSQL', () => {
  const data = tempDir('replay-dist');
  const namespace = uniqueNamespace('replay');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    database = await createTestDatabase('replay');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      REFRESH_GRACE_MS: String(GRACE_MS),
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    processes.push(...(await Promise.all([startProcess('edge', common), startProcess('edge', common)])));
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });
  replayScenarios(() => ({ a: processes[1]!, b: processes[2]!, worker: processes[0]! }));
});
