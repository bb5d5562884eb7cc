import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { ResultFrame, TokenPairData } from '@authgate/shared/client/socket-client';
import type { Cluster } from '../../scripts/cluster/index.ts';
import { post } from '../helpers/http.ts';
import { openSocket } from '../helpers/sockets.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';
import { startTestCluster, withTimeout } from './support.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

/** One HTTP request from a chosen loopback address (127.0.0.2, ...): a client other than nginx's own. */
function request(
  url: string,
  options: { method?: string; path: string; from?: string; headers?: Record<string, string>; body?: string | Buffer; rawPath?: boolean },
): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return withTimeout(
    new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        {
          host: hostname,
          port,
          method: options.method ?? 'GET',
          path: options.path,
          localAddress: options.from ?? '127.0.0.1',
          headers: options.headers ?? {},
          agent: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
          });
        },
      );
      req.on('error', reject);
      req.end(options.body);
    }),
    30_000,
    `${options.method ?? 'GET'} ${options.path}`,
  );
}

const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

/** nginx answered this itself: its JSON error carries nginx's own request id (32 hex), also in X-Request-Id. */
function assertNginxError(answer: Answer, status: number, code: string) {
  assert.equal(answer.status, status, answer.text);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  assert.equal(answer.body?.error?.code, code, answer.text);
  assert.equal(typeof answer.body.error.message, 'string');
  assert.match(answer.body.error.requestId, /^[0-9a-f]{32}$/);
  assert.equal(answer.body.error.requestId, answer.headers['x-request-id']);
}

describe('cluster: nginx in front of two edges and the account API', () => {
  const IP_BUDGET = 20;
  let cluster: Cluster;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ cluster, cleanup } = await startTestCluster('proxy', {
      edges: 2,
      workers: 1,
      api: true,
      // A small per-IP budget to watch the edges count clients behind the proxy, and a body limit above
      // nginx's so that an oversized body can only have been refused by nginx.
      env: { RATE_LIMIT_IP_PER_MINUTE: String(IP_BUDGET), MAX_BODY_BYTES: '65536' },
    }));
  });

  after(async () => {
    await cleanup?.();
  });

  /** nginx's access log lines, by request id (the X-Request-Id each answer carries). */
  async function accessLog(requestIds: string[]): Promise<Map<string, { upstream: string; status: number }>> {
    const file = path.join(cluster.dir, 'logs', 'access.log');
    for (let i = 0; i < 100; i++) {
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { requestId: string; upstream: string; status: number });
      const found = new Map(lines.filter((l) => requestIds.includes(l.requestId)).map((l) => [l.requestId, l]));
      if (found.size === requestIds.length) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('access log lacks some requests');
  }

  test('a WebSocket held by one edge gets the results of REST requests that nginx sent to the other edge', async () => {
    const [edge1, edge2] = [cluster.member('edge-1'), cluster.member('edge-2')];
    const email = newEmail('cross');
    assert.equal((await post(cluster.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    // nginx spreads WebSockets over the edges (least connections): both hold some.
    const sockets = await Promise.all(Array.from({ length: 4 }, () => openSocket(cluster.wsUrl)));
    const nodes = sockets.map((s) => s.connectionId.split('.')[0]);
    assert.deepEqual([...new Set(nodes)].sort(), [edge1.nodeId, edge2.nodeId].sort(), `sockets on both edges: ${nodes}`);

    const socket = sockets[nodes.indexOf(edge1.nodeId)]!;
    const pushed: ResultFrame[] = [];
    socket.onUnsolicited = (frame) => {
      if (frame.type === 'result') pushed.push(frame);
    };
    const accepted = [];
    for (let i = 0; i < 6; i++)
      accepted.push(await post(cluster.url, '/auth/login', { email, password: PASSWORD }, { 'x-connection-id': socket.connectionId }));
    for (const a of accepted) assert.equal(a.status, 202, JSON.stringify(a.body));

    // Which edge took each REST request: nginx's access log, matched by the X-Request-Id nginx returned.
    const log = await accessLog(accepted.map((a) => a.headers.get('x-request-id')!));
    const byEdge = [...log.values()].map((l) => l.upstream);
    assert.ok(byEdge.includes(`127.0.0.1:${edge2.port}`), `some went to edge-2 (${byEdge})`);
    assert.ok(byEdge.includes(`127.0.0.1:${edge1.port}`), `some went to edge-1 (${byEdge})`);

    for (let i = 0; i < 200 && pushed.length < accepted.length; i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(pushed.map((f) => f.id).sort(), accepted.map((a) => a.body.requestId).sort(), 'every result reached the socket on edge-1');
    for (const frame of pushed) {
      assert.equal(frame.status, 200);
      assert.equal((frame.data as TokenPairData).user.email, email);
    }
    for (const s of sockets) s.close();
  });

  test("the edges see each client's own address through nginx, and a forged X-Forwarded-For changes nothing", async () => {
    // Every request reaches the edges from nginx (127.0.0.1, TRUSTED_PROXIES); the clients here come
    // from 127.0.0.2 and 127.0.0.3. An empty body costs a rate-limit point and no queue round trip.
    const attempt = (from: string, headers: Record<string, string> = {}) =>
      request(cluster.url, { method: 'POST', path: '/auth/login', from, ...json({}), headers: { 'content-type': 'application/json', ...headers } });
    for (let i = 0; i < IP_BUDGET; i++) assert.equal((await attempt('127.0.0.2')).status, 400);
    const limited = await attempt('127.0.0.2');
    assert.equal(limited.status, 429, limited.text);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    // The client claims to be someone else: nginx appends the address it really came from, and the
    // edge believes only that last entry.
    const forged = await attempt('127.0.0.2', { 'x-forwarded-for': '198.51.100.7' });
    assert.equal(forged.status, 429, 'a forged X-Forwarded-For does not reset the budget');
    // Another client behind the same proxy has its own budget.
    assert.equal((await attempt('127.0.0.3')).status, 400);
    // WebSocket requests through nginx are counted against the same client address.
    const ws = new WebSocket(cluster.wsUrl, { localAddress: '127.0.0.2' });
    const frames: any[] = [];
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.on('message', (data) => {
          frames.push(JSON.parse(data.toString()));
          if (frames.length === 1) ws.send(JSON.stringify({ type: 'login', id: 'w1', email: newEmail('ip'), password: PASSWORD }));
          if (frames.length === 2) resolve();
        });
        ws.on('error', reject);
      }),
      15_000,
      'WebSocket login from 127.0.0.2',
    );
    ws.close();
    assert.equal(frames[1].id, 'w1');
    assert.equal(frames[1].error.code, 'rate_limited');
  });

  test('/metrics is not reachable through nginx, however the path is written', async () => {
    for (const p of ['/metrics', '/metrics/', '/x/../metrics', '//metrics', '/%6Detrics', '/metrics?format=json']) {
      assertNginxError(await request(cluster.url, { path: p }), 404, 'not_found');
    }
    assertNginxError(await request(cluster.url, { method: 'POST', path: '/metrics', body: '{}' }), 404, 'not_found');
  });

  test('nginx refuses an oversized body (413) and oversized headers (400) itself, in the JSON shape of docs/errors.md', async () => {
    const big = await request(cluster.url, { method: 'POST', path: '/auth/login', ...json({ email: newEmail(), password: 'x'.repeat(20_000) }) });
    assertNginxError(big, 413, 'payload_too_large');
    assert.equal(big.headers.connection, 'close');
    // Under nginx's limit, the edge reads it (and finds its own fault with it).
    const fits = await request(cluster.url, { method: 'POST', path: '/auth/login', ...json({ email: newEmail(), password: 'x'.repeat(12_000) }) });
    assert.equal(fits.status, 400);
    assert.match(fits.body.error.requestId, /^[0-9a-f-]{36}$/, 'answered by an edge');
    const header = await request(cluster.url, { path: '/health', headers: { 'x-padding': 'a'.repeat(9_000) } });
    assertNginxError(header, 400, 'invalid_request');
  });

  test("the account API's paths go to the api; when it is down nginx answers a JSON 503, never a page", async () => {
    const api = cluster.member('api');
    const check = await request(cluster.url, { path: `/users/check-email?email=${encodeURIComponent(newEmail('api'))}` });
    assert.equal(check.status, 200, check.text);
    assert.deepEqual(check.body, { exists: false });
    const me = await request(cluster.url, { path: '/auth/me' });
    assert.equal(me.status, 401);
    assert.equal(me.body.error.code, 'invalid_token');
    const docs = await request(cluster.url, { path: '/docs/json' });
    assert.equal(docs.status, 200);
    assert.ok(docs.body.paths['/users/check-email'], 'OpenAPI document of the account API');
    const log = await accessLog([check, me, docs].map((a) => String(a.headers['x-request-id'])));
    for (const line of log.values()) assert.equal(line.upstream, `127.0.0.1:${api.port}`);

    await api.process.stop('SIGTERM');
    try {
      const down = await request(cluster.url, { path: `/users/check-email?email=${encodeURIComponent(newEmail('down'))}` });
      assertNginxError(down, 503, 'overloaded');
      assert.equal(down.headers['retry-after'], '1');
      // The edges' paths are unaffected.
      assert.equal((await request(cluster.url, { path: '/health' })).status, 200);
    } finally {
      await cluster.restart('api');
    }
    assert.equal((await request(cluster.url, { path: `/users/check-email?email=${encodeURIComponent(newEmail('back'))}` })).status, 200);
  });

  test("every answer through nginx carries X-Request-Id; an unknown path gets the edge's JSON 404", async () => {
    const unknown = await request(cluster.url, { path: '/no/such/route' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    assert.match(String(unknown.headers['x-request-id']), /^[0-9a-f]{32}$/);
    assert.equal(unknown.headers.uwebsockets, undefined, "the edge's server header is not passed on");
    assert.equal(unknown.headers.server, 'nginx', 'no version in the Server header');
  });
});
