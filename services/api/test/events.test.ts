import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import type { Db } from '@authgate/shared/db/database';
import { createLogger } from '@authgate/shared/logger';
import { AmqpEventBus } from '@authgate/shared/events/amqp-bus';
import { newAuditEvent, type AuditEvent } from '@authgate/shared/events/schema';
import { startAuditWriter, type AuditWriterHandle } from '@authgate/audit';
import { AMQP_URL, uniqueNamespace } from '../../../test/helpers/services.ts';
import { ApiFixture, assertError, bearer } from './fixture.ts';
import { openPostgres } from '@authgate/shared/db/database';

const log = createLogger({ level: 'silent', name: 'events-api-test' });
const ADMIN = randomUUID();
const APP_LIMIT = 5;
const jsonAs = (token: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'user-agent': 'events-test/1.0', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('account API: audit trail and analytics over HTTP (RabbitMQ, PostgreSQL, the audit writer)', () => {
  let fx: ApiFixture;
  let bus: AmqpEventBus;
  let writer: AuditWriterHandle;
  let db: Db;
  const namespace = uniqueNamespace('events-api');

  before(async () => {
    bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 100_000, publishTimeoutMs: 5_000, log });
    fx = await ApiFixture.start('events-api', { ADMIN_USER_IDS: ADMIN, APP_EVENTS_PER_MINUTE: String(APP_LIMIT) }, { events: bus });
    db = openPostgres({ url: fx.config.DATABASE_URL!, poolSize: 10, log });
    writer = await startAuditWriter({ AUDIT_BATCH_SIZE: 100, AUDIT_BATCH_WAIT_MS: 20, AUDIT_RETENTION_DAYS: 365 }, { events: bus, db, log });
  });
  after(async () => {
    await writer?.stop();
    await bus?.close();
    await db?.destroy();
    await fx?.close();
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.deleteQueue(`${namespace}.audit`);
    await channel.deleteExchange(`${namespace}.events`);
    await connection.close();
  });

  /** Publishes server-side events (as a worker does) and waits until the writer has stored them. */
  async function stored(events: AuditEvent[]): Promise<void> {
    const before = writer.stats.stored;
    for (const e of events) await bus.publish(e);
    const end = Date.now() + 10_000;
    while (writer.stats.stored < before + events.length) {
      if (Date.now() > end) assert.fail('events not stored');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

  test("POST /events: 201 {id}, stored with the token's user and session, the caller's IP and user agent; GET /auth/events shows it", async () => {
    const userId = randomUUID();
    const sid = randomUUID();
    const token = await fx.token({ sub: userId, claims: { sid } });
    const created = await fx.request('/events', jsonAs(token, { type: 'app.checkout.completed', data: { cart: 3, total: '12.50' } }));
    assert.equal(created.status, 201, created.text);
    const id = created.body.id;
    const end = Date.now() + 10_000;
    let page;
    do {
      page = await fx.request('/auth/events', bearer(token));
      assert.equal(page.status, 200, page.text);
      if (Date.now() > end) assert.fail('the app event never showed up');
    } while (page.body.events.length === 0);
    assert.deepEqual(page.body, {
      events: [
        {
          id,
          type: 'app.checkout.completed',
          at: page.body.events[0].at,
          ip: '127.0.0.1',
          userAgent: 'events-test/1.0',
          sessionId: sid,
          deviceId: null,
          data: { cart: 3, total: '12.50' },
        },
      ],
      next: null,
    });
  });

  test("GET /auth/events: newest first, cursor pages without gaps or repeats, only the caller's events", async () => {
    const userId = randomUUID();
    const mine = Array.from({ length: 7 }, (_, i) =>
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: randomUUID(), at: minutesAgo(100 - i), ip: '203.0.113.5' }),
    );
    await stored([...mine, newAuditEvent({ type: 'login.succeeded', userId: randomUUID(), at: minutesAgo(50) })]);
    const token = await fx.token({ sub: userId });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = await fx.request(`/auth/events?limit=3${cursor ? `&before=${cursor}` : ''}`, bearer(token));
      assert.equal(answer.status, 200, answer.text);
      assert.ok(answer.body.events.length <= 3);
      seen.push(...answer.body.events.map((e: { id: string }) => e.id));
      cursor = answer.body.next;
      pages++;
    } while (cursor && pages < 10);
    assert.deepEqual(seen, mine.map((e) => e.id).reverse());
    assert.equal(pages, 3);
  });

  test('GET /auth/events: 401 without a token; 400 for a forged cursor or a bad limit', async () => {
    assertError(await fx.request('/auth/events'), 401, 'invalid_token', 'no token');
    const token = await fx.token();
    const forged = Buffer.from('not|a-cursor').toString('base64url');
    const bad = await fx.request(`/auth/events?before=${forged}`, bearer(token));
    assertError(bad, 400, 'invalid_request', 'forged cursor');
    assert.equal(bad.body.error.details[0].path, 'before');
    for (const limit of ['0', '101', 'x'])
      assertError(await fx.request(`/auth/events?limit=${limit}`, bearer(token)), 400, 'invalid_request', `limit ${limit}`);
  });

  test('POST /events: 400 for a type outside app.*, a credential in data or extra fields; 413 past 4 KB; 415 for non-JSON; 401 without a token', async () => {
    // A user of its own for each request: the per-user limit is not what this test is about.
    const json = async (body: unknown, headers: Record<string, string> = {}) => jsonAs(await fx.token(), body, headers);
    assertError(await fx.request('/events', await json({ type: 'login.succeeded', data: {} })), 400, 'invalid_request', 'an auth type');
    assertError(await fx.request('/events', await json({ type: 'app.x', data: { password: 'hunter2hunter2' } })), 400, 'invalid_request', 'a password');
    assertError(await fx.request('/events', await json({ type: 'app.x', data: { otpCode: 1, code: '123456' } })), 400, 'invalid_request', 'a code');
    assertError(await fx.request('/events', await json({ type: 'app.x', data: {}, userId: randomUUID() })), 400, 'invalid_request', 'an extra field');
    assertError(await fx.request('/events', await json({ type: 'app.x', data: { blob: 'x'.repeat(4200) } })), 413, 'payload_too_large', 'over 4 KB');
    assertError(await fx.request('/events', await json({ type: 'app.x', data: { blob: 'x'.repeat(20_000) } })), 413, 'payload_too_large', 'a large body');
    assertError(await fx.request('/events', await json('{"type":"app.x"', {})), 400, 'invalid_request', 'malformed JSON');
    assertError(await fx.request('/events', await json('type=app.x', { 'content-type': 'text/plain' })), 415, 'unsupported_media_type', 'text/plain');
    assertError(
      await fx.request('/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"app.x"}' }),
      401,
      'invalid_token',
      'no token',
    );
  });

  test(`POST /events: the ${APP_LIMIT + 1}th in a minute from one user is 429 with Retry-After; another user goes on`, async () => {
    const token = await fx.token();
    for (let i = 0; i < APP_LIMIT; i++) assert.equal((await fx.request('/events', jsonAs(token, { type: 'app.tick', data: { i } }))).status, 201);
    const limited = await fx.request('/events', jsonAs(token, { type: 'app.tick', data: {} }));
    assertError(limited, 429, 'rate_limited', 'over the limit');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal((await fx.request('/events', jsonAs(await fx.token(), { type: 'app.tick', data: {} }))).status, 201);
  });

  test('admin routes: 401 without a token, 403 for a non-admin', async () => {
    const user = await fx.token();
    for (const path of ['/admin/events', '/admin/analytics/top-events', '/admin/analytics/logins', `/admin/analytics/users/${randomUUID()}`]) {
      assertError(await fx.request(path), 401, 'invalid_token', path);
      assertError(await fx.request(path, bearer(user)), 403, 'forbidden', path);
    }
  });

  test('GET /admin/events filters by type, user and time, pages by cursor, and shows userId', async () => {
    const admin = await fx.token({ sub: ADMIN });
    const userId = randomUUID();
    const type = `app.admin-filter-${randomUUID().slice(0, 8)}`;
    const events = Array.from({ length: 5 }, (_, i) => newAuditEvent({ type: type as 'app.x', userId, at: minutesAgo(30 - i) }));
    const other = newAuditEvent({ type: type as 'app.x', userId: randomUUID(), at: minutesAgo(20) });
    await stored([...events, other]);
    const byType = await fx.request(`/admin/events?type=${type}&limit=100`, bearer(admin));
    assert.equal(byType.status, 200, byType.text);
    assert.equal(byType.body.events.length, 6);
    const byUser = await fx.request(`/admin/events?type=${type}&userId=${userId}&limit=2`, bearer(admin));
    assert.deepEqual(
      byUser.body.events.map((e: { id: string; userId: string }) => [e.id, e.userId]),
      [
        [events[4]!.id, userId],
        [events[3]!.id, userId],
      ],
    );
    const page2 = await fx.request(`/admin/events?type=${type}&userId=${userId}&limit=2&before=${byUser.body.next}`, bearer(admin));
    assert.deepEqual(
      page2.body.events.map((e: { id: string }) => e.id),
      [events[2]!.id, events[1]!.id],
    );
    const window = await fx.request(`/admin/events?type=${type}&since=${events[1]!.at}&until=${events[3]!.at}`, bearer(admin));
    assert.deepEqual(
      window.body.events.map((e: { id: string }) => e.id),
      [events[2]!.id, events[1]!.id],
      'since inclusive, until exclusive',
    );
    assertError(await fx.request('/admin/events?type=made.up', bearer(admin)), 400, 'invalid_request', 'unknown type');
    assertError(await fx.request('/admin/events?userId=nope', bearer(admin)), 400, 'invalid_request', 'bad user id');
  });

  test('GET /admin/analytics/top-events counts types since a time, most first', async () => {
    const admin = await fx.token({ sub: ADMIN });
    const since = new Date(Date.now() + 60_000); // a window only this test's events fall in
    const tag = randomUUID().slice(0, 8);
    const at = new Date(since.getTime() + 1000);
    await stored([
      ...Array.from({ length: 3 }, () => newAuditEvent({ type: `app.top-a-${tag}` as 'app.x', at })),
      ...Array.from({ length: 2 }, () => newAuditEvent({ type: `app.top-b-${tag}` as 'app.x', at })),
      newAuditEvent({ type: `app.top-c-${tag}` as 'app.x', at }),
    ]);
    const top = await fx.request(`/admin/analytics/top-events?since=${since.toISOString()}&limit=2`, bearer(admin));
    assert.equal(top.status, 200, top.text);
    assert.deepEqual(top.body, [
      { type: `app.top-a-${tag}`, count: 3 },
      { type: `app.top-b-${tag}`, count: 2 },
    ]);
  });

  test('GET /admin/analytics/logins: succeeded and failed per hour, empty hours as zeros; 400 past the bucket bound', async () => {
    const admin = await fx.token({ sub: ADMIN });
    const hour = 3_600_000;
    const thisHour = Math.floor(Date.now() / hour) * hour;
    const since = new Date(thisHour - 3 * hour);
    const before = await fx.request(`/admin/analytics/logins?since=${since.toISOString()}&bucket=hour`, bearer(admin));
    assert.equal(before.status, 200, before.text);
    assert.deepEqual(
      before.body.map((b: { at: string }) => b.at),
      [0, 1, 2, 3].map((i) => new Date(since.getTime() + i * hour).toISOString()),
    );
    await stored([
      newAuditEvent({ type: 'login.succeeded', at: new Date(thisHour - 2 * hour + 60_000) }),
      newAuditEvent({ type: 'login.failed', at: new Date(thisHour - 2 * hour + 120_000) }),
      newAuditEvent({ type: 'login.failed', at: new Date(thisHour - 2 * hour + 180_000) }),
      newAuditEvent({ type: 'logout', at: new Date(thisHour - 2 * hour + 180_000) }),
    ]);
    const after = await fx.request(`/admin/analytics/logins?since=${since.toISOString()}&bucket=hour`, bearer(admin));
    const delta = after.body.map((b: { succeeded: number; failed: number }, i: number) => [
      b.succeeded - before.body[i].succeeded,
      b.failed - before.body[i].failed,
    ]);
    assert.deepEqual(delta.slice(0, 3), [
      [0, 0],
      [1, 2],
      [0, 0],
    ]);
    const days = await fx.request('/admin/analytics/logins?bucket=day', bearer(admin));
    assert.equal(days.body.length, 31);
    assertError(
      await fx.request(`/admin/analytics/logins?bucket=hour&since=${new Date(Date.now() - 40 * 86_400_000).toISOString()}`, bearer(admin)),
      400,
      'invalid_request',
      'too many buckets',
    );
    assertError(await fx.request('/admin/analytics/logins?bucket=week', bearer(admin)), 400, 'invalid_request', 'bad bucket');
  });

  test('GET /admin/analytics/users/:userId: counts by type, last seen, sessions the trail shows open', async () => {
    const admin = await fx.token({ sub: ADMIN });
    const userId = randomUUID();
    const [s1, s2, s3] = [randomUUID(), randomUUID(), randomUUID()];
    const last = minutesAgo(1);
    await stored([
      newAuditEvent({ type: 'register', userId, at: minutesAgo(60) }),
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: s1, at: minutesAgo(50) }),
      newAuditEvent({ type: 'login.failed', userId, at: minutesAgo(45) }),
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: s2, at: minutesAgo(40) }),
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: s3, at: minutesAgo(30) }),
      newAuditEvent({ type: 'logout', userId, sessionId: s1, at: minutesAgo(20) }),
      newAuditEvent({ type: 'refresh.reuse_detected', userId, sessionId: s3, at: last }),
    ]);
    const answer = await fx.request(`/admin/analytics/users/${userId}`, bearer(admin));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, {
      userId,
      counts: { register: 1, 'login.succeeded': 3, 'login.failed': 1, logout: 1, 'refresh.reuse_detected': 1 },
      lastSeenAt: last.toISOString(),
      sessions: 1,
    });
    const nobody = await fx.request(`/admin/analytics/users/${randomUUID()}`, bearer(admin));
    assert.deepEqual({ ...nobody.body, userId: undefined }, { userId: undefined, counts: {}, lastSeenAt: null, sessions: 0 });
    assertError(await fx.request('/admin/analytics/users/not-a-uuid', bearer(admin)), 400, 'invalid_request', 'bad id');
  });

  test('sessions from the trail: session.revoked ends one; account.disabled and password.reset end those opened before; older than the refresh lifetime: expired', async () => {
    const admin = await fx.token({ sub: ADMIN });
    const sessionsOf = async (userId: string) => {
      const answer = await fx.request(`/admin/analytics/users/${userId}`, bearer(admin));
      assert.equal(answer.status, 200, answer.text);
      return answer.body.sessions as number;
    };
    const userId = randomUUID();
    const [s1, s2, s3, s4, s5] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const lifetimeMinutes = fx.config.REFRESH_TOKEN_TTL_S / 60;
    await stored([
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: s1, at: minutesAgo(lifetimeMinutes + 5) }),
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: s2, at: minutesAgo(50) }),
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: s3, at: minutesAgo(45) }),
      newAuditEvent({ type: 'session.revoked', userId, sessionId: s2, at: minutesAgo(40), data: { reason: 'revoked' } }),
    ]);
    assert.equal(await sessionsOf(userId), 1, 's1 expired, s2 revoked, s3 open');
    await stored([
      newAuditEvent({ type: 'password.reset', userId, at: minutesAgo(30) }),
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: s4, at: minutesAgo(20) }),
      newAuditEvent({ type: 'login.succeeded', userId, sessionId: s5, at: minutesAgo(10) }),
    ]);
    assert.equal(await sessionsOf(userId), 2, 'the reset ended s3; s4 and s5 came after it');

    // An admin's disable is in the trail (account.disabled, by the admin) and ends what was open.
    const user = await fx.createUser(undefined, userId);
    const before = writer.stats.stored;
    assert.equal((await fx.request(`/admin/users/${user.id}/disable`, { method: 'POST', ...bearer(admin) })).status, 204);
    const end = Date.now() + 10_000;
    while (writer.stats.stored === before && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
    const trail = await fx.request(`/admin/events?userId=${userId}&type=account.disabled`, bearer(admin));
    assert.equal(trail.body.events.length, 1, trail.text);
    assert.equal(trail.body.events[0].data.by, ADMIN);
    assert.equal(await sessionsOf(userId), 0);
  });

  test('the OpenAPI document lists the audit routes', async () => {
    const doc = await fx.request('/docs/json');
    for (const path of [
      '/auth/events',
      '/events',
      '/admin/events',
      '/admin/analytics/top-events',
      '/admin/analytics/logins',
      '/admin/analytics/users/{userId}',
    ]) {
      assert.ok(doc.body.paths[path], `${path} in OpenAPI`);
    }
  });
});
