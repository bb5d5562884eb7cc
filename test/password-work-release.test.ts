import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ServerFrame } from '@authgate/shared/client/socket-client';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { openSocket } from './helpers/sockets.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';

// The units of password work per source, on two edges, with the bound at one unit per source so that
// a unit not given back shows at once (429): every answer gives its unit back, whether the edge that
// took it answers (it names the source) or another edge receives the result (a deferred REST login
// pushed to a WebSocket there: found by its lease). A unit not given back would also stamp the
// source's next commands a round too late (docs/shared-addresses.md).

const PASSWORD = 'one unit at a time please';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/**
 * Logs in until it is not refused for the budget; the unit of the answer before may be given back a
 * moment after that answer was sent. Far less than the 30 s deadline at which a lost unit frees itself.
 */
async function loginOnceUnitFree(url: string, email: string): Promise<{ status: number; body: any }> {
  const until = Date.now() + 3_000;
  for (;;) {
    const answer = await post(`${url}/auth/login`, { email, password: PASSWORD });
    if (answer.status !== 429 || Date.now() > until) return answer;
    await sleep(100);
  }
}

describe('password work units come back with every answer, on the edge that took them or another', () => {
  const data = tempDir('pw-release');
  const namespace = uniqueNamespace('pw-release');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let edgeA: RunningProcess;
  let edgeB: RunningProcess;
  const email = `pw-release-${randomBytes(4).toString('hex')}@example.test`;

  before(async () => {
    database = await createTestDatabase('pw-release');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      PASSWORD_WORK_PER_SOURCE: '1',
      REQUEST_TIMEOUT_MS: '30000',
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    [edgeA, edgeB] = (await Promise.all([startProcess('edge', common), startProcess('edge', common)])) as [RunningProcess, RunningProcess];
    processes.push(edgeA, edgeB);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  test('answered by the edge that took it: the next login of the source is admitted', async () => {
    assert.equal((await post(`${edgeA.url}/auth/register`, { email, password: PASSWORD })).status, 201);
    for (let i = 0; i < 3; i++) assert.equal((await loginOnceUnitFree(edgeA.url, email)).status, 200);
  });

  test('a deferred login answered on another edge: that edge gives the unit back', async () => {
    const socket = await openSocket(edgeB.wsUrl);
    try {
      const pushed = new Promise<ServerFrame>((resolve) => {
        socket.onUnsolicited = resolve;
      });
      const accepted = await post(`${edgeA.url}/auth/login`, { email, password: PASSWORD }, { 'x-connection-id': socket.connectionId });
      assert.equal(accepted.status, 202);
      const frame = (await pushed) as { type: string; id: string; status: number };
      assert.deepEqual([frame.type, frame.id, frame.status], ['result', accepted.body.requestId, 200]);
      // Edge A took the unit; edge B received the result. Unreleased, it would hold the source's only
      // unit until the 30 s deadline.
      assert.equal((await loginOnceUnitFree(edgeA.url, email)).status, 200);
    } finally {
      socket.close();
    }
  });
});
