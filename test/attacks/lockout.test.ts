import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { call, post } from '../helpers/http.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';

// Account lockout as a weapon: before these defences, 50 failures from any mix of addresses locked the
// owner out, and any web page could make its visitors' browsers send them (text/plain and form
// bodies were accepted; WebSocket upgrades came from any Origin).

const ALLOWED_ORIGIN = 'https://app.example.test';
let nextAddress = 1;
const freshAddress = () => ({ 'x-forwarded-for': `10.77.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}` });

/** The status of a WebSocket upgrade with these headers: 101 when it opened. */
function upgradeStatus(wsUrl: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', () => {});
  });
}

describe('account lockout as a weapon', () => {
  const namespace = uniqueNamespace('lockout');
  const data = tempDir('lockout');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let edge: RunningProcess;
  let noAllowlist: RunningProcess;

  before(async () => {
    database = await createTestDatabase('lockout');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      TRUSTED_PROXIES: '127.0.0.1',
      RATE_LIMIT_IP_PER_MINUTE: '5',
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    [edge, noAllowlist] = await Promise.all([startProcess('edge', { ...common, CORS_ORIGINS: ALLOWED_ORIGIN }), startProcess('edge', common)]);
    processes.push(edge, noAllowlist);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  test('every POST without Content-Type: application/json is refused with 415 before any work (not even counted)', async () => {
    const address = freshAddress();
    const body = JSON.stringify({ email: newEmail(), password: PASSWORD });
    for (const path of ['/auth/login', '/auth/register', '/auth/refresh', '/auth/logout']) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
        const answer = await call(edge.url, 'POST', path, { raw: body, headers: { ...address, ...(type ? { 'content-type': type } : {}) } });
        assert.equal(answer.status, 415, `${path} ${type}`);
        assert.equal(answer.body.error.code, 'unsupported_media_type');
      }
    }
    // More than RATE_LIMIT_IP_PER_MINUTE refused bodies, and the address still has its whole budget.
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      const answer = await call(edge.url, 'POST', '/auth/login', { raw: body, headers: { ...address, 'content-type': type } });
      assert.equal(answer.status, 401, type);
    }
  });

  test("WebSocket upgrades: from a foreign page refused with an allowlist; without one, only from a page of the edge's own host", async () => {
    assert.equal(await upgradeStatus(edge.wsUrl, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(edge.wsUrl, { origin: 'null' }), 403);
    assert.equal(await upgradeStatus(edge.wsUrl, { origin: ALLOWED_ORIGIN }), 101);
    assert.equal(await upgradeStatus(edge.wsUrl, {}), 101, 'no Origin: no browser');
    // No allowlist: a browser page of another site cannot drive a visitor's logins over WebSocket.
    assert.equal(await upgradeStatus(noAllowlist.wsUrl, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(noAllowlist.wsUrl, { origin: 'null' }), 403);
    assert.equal(await upgradeStatus(noAllowlist.wsUrl, { origin: `http://127.0.0.1:${noAllowlist.port}` }), 101);
    assert.equal(await upgradeStatus(noAllowlist.wsUrl, {}), 101);
  });

  test("50+ failures from many addresses lock the account-wide budget, yet the owner's known deviceId still logs in", async () => {
    const email = newEmail('owner');
    assert.equal((await post(edge.url, '/auth/register', { email, password: PASSWORD }, freshAddress())).status, 201);
    const home = freshAddress();
    const signedIn = await post(edge.url, '/auth/login', { email, password: PASSWORD, deviceId: 'owner-laptop-6f1c0b8e2d' }, home);
    assert.equal(signedIn.status, 200);

    // The attack: wrong passwords from 60 addresses (each far below its own limits), with and without device ids.
    const failures = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        post(edge.url, '/auth/login', { email, password: `wrong guess ${i}`, ...(i % 2 ? { deviceId: `attacker-${i}` } : {}) }, freshAddress()),
      ),
    );
    assert.ok(failures.every((f) => f.status === 401 || f.status === 429));
    assert.ok(
      failures.some((f) => f.status === 429),
      'the account-wide budget is used up',
    );

    // The account is locked for everyone else, also with a device id it never completed a login from...
    const stranger = await post(edge.url, '/auth/login', { email, password: PASSWORD }, freshAddress());
    assert.equal(stranger.status, 429);
    const unknownDevice = await post(edge.url, '/auth/login', { email, password: PASSWORD, deviceId: 'never-seen-device' }, freshAddress());
    assert.equal(unknownDevice.status, 429);
    // ...but the owner's device, which completed a login before, keeps its own budget: from home, and from elsewhere.
    const owner = await post(edge.url, '/auth/login', { email, password: PASSWORD, deviceId: 'owner-laptop-6f1c0b8e2d' }, home);
    assert.equal(owner.status, 200, JSON.stringify(owner.body));
    const travelling = await post(edge.url, '/auth/login', { email, password: PASSWORD, deviceId: 'owner-laptop-6f1c0b8e2d' }, freshAddress());
    assert.equal(travelling.status, 200, JSON.stringify(travelling.body));
  });

  test("a trusted device's own budget is bounded too: its id is no way around the account limit", async () => {
    const email = newEmail('device');
    assert.equal((await post(edge.url, '/auth/register', { email, password: PASSWORD }, freshAddress())).status, 201);
    const deviceId = 'stolen-device-id-5c2e9a71';
    assert.equal((await post(edge.url, '/auth/login', { email, password: PASSWORD, deviceId }, freshAddress())).status, 200);
    const guesses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post(edge.url, '/auth/login', { email, password: `guess ${i}`, deviceId }, freshAddress())),
    );
    assert.equal(guesses.filter((g) => g.status === 401).length, 50, 'LOGIN_ACCOUNT_MAX_FAILURES guesses, no more');
    assert.equal(guesses.filter((g) => g.status === 429).length, 10);
    // The account-wide budget was not touched by them: a login without the device id gets past it, to
    // the new-device check (the account has a device, so naming none is a new device).
    const withoutDevice = await post(edge.url, '/auth/login', { email, password: PASSWORD }, freshAddress());
    assert.equal(withoutDevice.status, 403, JSON.stringify(withoutDevice.body));
    assert.equal(withoutDevice.body.error.code, 'device_verification_required');
  });
});
