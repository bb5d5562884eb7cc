import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { RawConnection, type RawResponse } from './helpers/raw-exchange.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';

/**
 * HEAD through the account-API fallback of the all-in-one shape once answered a bogus
 * Content-Length and killed the keep-alive connection. Every method, on edge routes and fallback
 * routes alike, must get a well-framed answer on a connection that stays usable: HEAD the headers of
 * GET with no body, a method nobody serves a JSON error (404 or 405).
 */
function assertJsonError(answer: RawResponse, what: string): void {
  assert.ok([404, 405].includes(answer.status), `${what}: status ${answer.status}`);
  assert.match(answer.headers['content-type'] ?? '', /^application\/json/, `${what}: content-type`);
  const body = JSON.parse(answer.body.toString('utf8'));
  assert.equal(body.error.code, answer.status === 404 ? 'not_found' : 'method_not_allowed', `${what}: ${answer.body.toString('utf8')}`);
  assert.equal(typeof body.error.requestId, 'string', what);
}

/** GET then HEAD of each path on one connection: the same status and headers, no body, the connection still usable. */
async function headLikeGet(conn: RawConnection, paths: string[]): Promise<void> {
  for (const path of paths) {
    const get = await conn.request('GET', path);
    const head = await conn.request('HEAD', path);
    assert.equal(head.status, get.status, `HEAD ${path}: status`);
    assert.equal(head.body.length, 0, `HEAD ${path}: no body`);
    // Content-Length on a HEAD answer, when sent, is the length GET's body has (RFC 9110 §8.6).
    if (head.headers['content-length'] !== undefined) {
      assert.equal(
        Number(head.headers['content-length']),
        get.body.length,
        `HEAD ${path}: Content-Length ${head.headers['content-length']} for a body of ${get.body.length}`,
      );
    }
    assert.equal(head.headers['content-type'], get.headers['content-type'], `HEAD ${path}: content-type`);
    const next = await conn.request('GET', '/health');
    assert.equal(next.status, 200, `the connection after HEAD ${path}`);
    assert.equal(conn.isClosed, false, `the connection is still open after HEAD ${path}`);
  }
}

describe('every method through the all-in-one edge, on one keep-alive connection', () => {
  const data = tempDir('fallback-methods');
  let proc: RunningProcess;
  let conn: RawConnection;
  before(async () => {
    proc = await startProcess('all', { DATA_DIR: data.dir, BCRYPT_COST: '4', RATE_LIMIT_IP_PER_MINUTE: '100000', CHECK_EMAIL_PER_MINUTE: '10000' });
  });
  after(async () => {
    conn?.close();
    await proc?.stop();
    data.remove();
  });

  test("HEAD answers GET's status and headers with no body, and the connection serves the next request", async () => {
    conn = await RawConnection.open(proc.port!);
    await headLikeGet(conn, [
      '/users/check-email?email=nobody%40example.test',
      '/docs/json',
      '/auth/me',
      '/health',
      '/.well-known/jwks.json',
      '/auth/verify',
      '/no/such/route',
    ]);
  });

  test("a method no route serves gets a JSON error on the fallback paths and the edge's own, and the connection lives on", async () => {
    conn = await RawConnection.open(proc.port!);
    const cases: Array<[string, string]> = [
      ['PUT', '/auth/me'],
      ['DELETE', '/users/check-email?email=a%40b.co'],
      ['PATCH', '/docs/json'],
      ['OPTIONS', '/auth/me'],
      ['TRACE', '/auth/me'],
      ['CONNECT', '/auth/me'],
      ['PUT', '/no/such/route'],
      ['DELETE', '/health'],
      ['PUT', '/auth/login'],
      ['GET', '/auth/login'],
      ['POST', '/auth/verify'],
    ];
    for (const [method, path] of cases) {
      const answer = await conn.request(method, path, { 'content-type': 'application/json' }, method === 'GET' ? undefined : '{}');
      assertJsonError(answer, `${method} ${path}`);
      const next = await conn.request('GET', '/health');
      assert.equal(next.status, 200, `the connection after ${method} ${path}`);
    }
  });

  test("a method outside HTTP's standard set (PROPFIND, QUERY) is refused without harm: the server serves the next connection", async () => {
    // uWebSockets.js's parser knows only the standard methods and closes the connection on any other
    // before a handler runs: no answer is possible there, but nothing else may suffer.
    for (const method of ['PROPFIND', 'QUERY', 'BREW']) {
      const odd = await RawConnection.open(proc.port!);
      await assert.rejects(odd.request(method, '/auth/me'), /connection closed/, method);
      odd.close();
      const fresh = await RawConnection.open(proc.port!);
      assert.equal((await fresh.request('GET', '/health')).status, 200, `after ${method}`);
      fresh.close();
    }
  });

  test('an http.Agent with keepAlive makes HEAD then GET on one socket', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const once = (method: string, path: string) =>
        new Promise<{ status: number; reused: boolean; body: string }>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port: proc.port, method, path, agent }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket, body }));
          });
          req.on('error', reject);
          req.end();
        });
      const head = await once('HEAD', '/users/check-email?email=x%40example.test');
      assert.equal(head.status, 200);
      const get = await once('GET', '/users/check-email?email=x%40example.test');
      assert.equal(get.status, 200);
      assert.deepEqual(JSON.parse(get.body), { exists: false });
      assert.equal(get.reused, true, 'the GET went over the socket the HEAD used');
    } finally {
      agent.destroy();
    }
  });
});

describe('HEAD on an edge without the account API (distributed shape)', () => {
  const data = tempDir('head-edge');
  const namespace = uniqueNamespace('head');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    database = await createTestDatabase('head');
    const common = { NAMESPACE: namespace, AMQP_URL, REDIS_URL, DATA_DIR: data.dir };
    // The worker first: in development it creates the signing key the edge derives its JWKS from.
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    processes.push(await startProcess('edge', common));
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  test("the edge's own routes and its 404 answer HEAD with headers only; the connection lives on", async () => {
    const conn = await RawConnection.open(processes[1]!.port!);
    try {
      await headLikeGet(conn, ['/health', '/ready', '/.well-known/jwks.json', '/auth/verify', '/auth/me', '/no/such/route']);
    } finally {
      conn.close();
    }
  });
});
