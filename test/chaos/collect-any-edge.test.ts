import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { openSocket } from '../helpers/sockets.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';

// An edge dies with requests of its clients in flight: their results are produced anyway and kept,
// and each client collects its own from ANY other edge with its old connection id and the requestId
// (deferred REST requests, docs/deferred-delivery.md). The id a client gave a WebSocket request is no handle on its
// result: a connectionId alone, which travels in headers and logs, must not open a connection's results.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const PASSWORD = 'collect me from anywhere';

async function getResult(url: string, id: string, connectionId: string | undefined): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/auth/results/${encodeURIComponent(id)}`, { headers: connectionId ? { 'x-connection-id': connectionId } : {} });
  return { status: res.status, body: await res.json() };
}

/** Polls until the result is there (the restarted worker is catching up), or fails after `timeoutMs`. */
async function collect(url: string, id: string, connectionId: string, timeoutMs = 30_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await getResult(url, id, connectionId);
    if (status === 200) return body;
    assert.equal(status, 404, `unexpected ${status}: ${JSON.stringify(body)}`);
    if (Date.now() > until) assert.fail(`no result for ${id} within ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe('results of a crashed edge are collected from another edge', () => {
  const data = tempDir('collect');
  const namespace = uniqueNamespace('collect');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let common: Record<string, string>;
  const processes: RunningProcess[] = [];
  let edgeB: RunningProcess;
  const email = (tag: string) => `collect-${tag}-${randomBytes(4).toString('hex')}@example.test`;

  before(async () => {
    database = await createTestDatabase('collect');
    common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      PASSWORD_WORK_PER_SOURCE: '10000',
    };
    // The worker first: it creates the signing key the edges derive their JWKS from. Then it stops,
    // so that the commands wait in the queue while their edge dies.
    const worker = await startProcess('worker', { ...common, DATABASE_URL: database.url });
    assert.equal(await worker.stop(), 0);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  test('by requestId (deferred REST) with the old X-Connection-Id, once; never by the WebSocket request id', async () => {
    const [edgeA, b] = await Promise.all([startProcess('edge', common), startProcess('edge', common)]);
    processes.push(edgeA!, b!);
    edgeB = b!;
    const socket = await openSocket(edgeA!.wsUrl);
    const oldConnectionId = socket.connectionId;

    const wsEmail = email('ws');
    socket.sendRaw(JSON.stringify({ type: 'register', id: 'my-own-id-1', email: wsEmail, password: PASSWORD }));
    const restEmail = email('rest');
    const deferred = await fetch(`${edgeA!.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-connection-id': oldConnectionId },
      body: JSON.stringify({ email: restEmail, password: PASSWORD }),
    });
    assert.equal(deferred.status, 202);
    const { requestId } = (await deferred.json()) as { requestId: string };
    await sleep(500); // the WebSocket request is published too

    await edgeA!.stop('SIGKILL');
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));

    const byRequestId = await collect(edgeB.url, requestId, oldConnectionId);
    assert.equal(byRequestId.type, 'result');
    assert.equal(byRequestId.id, requestId);
    assert.equal(byRequestId.status, 201);
    assert.equal((await getResult(edgeB.url, requestId, oldConnectionId)).status, 404, 'collected once, gone');
    // The WebSocket request ran too (its user exists, below), but its client id collects nothing.
    assert.equal((await getResult(edgeB.url, 'my-own-id-1', oldConnectionId)).status, 404);
    // Only the connection a result was addressed to can collect it.
    const stranger = `${oldConnectionId.split('.')[0]}.${randomBytes(16).toString('base64url')}`;
    assert.equal((await getResult(edgeB.url, 'my-own-id-1', stranger)).status, 404);
    assert.equal((await getResult(edgeB.url, requestId, stranger)).status, 404);
    assert.equal((await getResult(edgeB.url, 'my-own-id-1', 'not-a-connection-id')).status, 404);
    assert.equal((await getResult(edgeB.url, 'no-such-id', oldConnectionId)).status, 404);
    assert.equal((await getResult(edgeB.url, requestId, undefined)).status, 400);

    // Each registration happened once.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE lower(email) = ANY($1)', [[wsEmail, restEmail]]);
    await client.end();
    assert.equal(rows[0]!.n, 2);
  });
});
