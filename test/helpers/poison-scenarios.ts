import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UNSTORABLE_MESSAGE } from '@authgate/shared/storable-text';
import { call, post, type HttpAnswer } from './http.ts';
import { nextFrame, openRaw } from './sockets.ts';
import { newEmail, PASSWORD } from './users.ts';

/**
 * Text PostgreSQL cannot store (U+0000, an unpaired surrogate) sent to every route that takes
 * strings. Each attempt is refused with `400 invalid_request` naming the field; and whatever was
 * tried, another account's events are still stored and readable within a second: one accepted
 * poisoned string used to stop the audit writer for every account.
 */
export interface PoisonDeployment {
  url: string;
  wsUrl: string;
  /** Where /auth/events, /events and /users/check-email are answered (the account API, or the all-in-one's edge). */
  apiUrl: string;
  /**
   * Puts an event straight onto the event bus, bypassing every check before it (distributed shape:
   * raw to the RabbitMQ exchange). Returns its id.
   */
  injectPoisonedEvent?: () => Promise<string>;
  /** Whether an event id is in audit_events (read from the database; distributed shape). */
  isStored?: (eventId: string) => Promise<boolean>;
}

/** The longest an event of a healthy writer may take to become readable (AUDIT_BATCH_WAIT_MS is 200 ms). */
const READABLE_WITHIN_MS = 1_000;
const NUL = 'a\u0000b';
const LONE = 'a\ud800b';
/** Device verification is off in these deployments: every login of the witness completes. */
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function assertRefused(answer: HttpAnswer, field: string, what: string): void {
  assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.error.code, 'invalid_request', what);
  const details = answer.body.error.details as Array<{ path: string; message: string }>;
  assert.ok(
    details.some((d) => d.path === field && d.message.includes(UNSTORABLE_MESSAGE)),
    `${what}: details name ${field} as unstorable text (got ${JSON.stringify(details)})`,
  );
}

/** `bus`: the deployment can put an event straight onto its bus (injectPoisonedEvent, isStored). */
export function poisonScenarios(get: () => PoisonDeployment, shape: { bus: boolean }): void {
  /** An account that has nothing to do with the attempts: its trail must keep filling. */
  let witness: { email: string } | undefined;

  /** A login of the witness, and the time until GET /auth/events shows it. */
  async function witnessIsStillAudited(after: string): Promise<void> {
    const d = get();
    if (!witness) {
      witness = { email: newEmail('witness') };
      assert.equal((await post(d.url, '/auth/register', { email: witness.email, password: PASSWORD })).status, 201);
    }
    const login = await post(d.url, '/auth/login', { email: witness.email, password: PASSWORD, deviceId: 'witness-laptop' });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const answered = Date.now();
    for (;;) {
      const trail = await call(d.apiUrl, 'GET', '/auth/events?limit=20', { headers: bearer(login.body.accessToken) });
      assert.equal(trail.status, 200, JSON.stringify(trail.body));
      if ((trail.body.events as Array<{ type: string; sessionId: string }>).some((e) => e.type === 'login.succeeded' && e.sessionId === login.body.sessionId))
        return;
      assert.ok(Date.now() - answered < READABLE_WITHIN_MS, `after ${after}: another account's login is not in its trail within ${READABLE_WITHIN_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  test('REST login with NUL or an unpaired surrogate in deviceId (no token, unknown or known account): 400 naming deviceId; the trail goes on', async () => {
    const d = get();
    const known = newEmail('poison-login');
    assert.equal((await post(d.url, '/auth/register', { email: known, password: PASSWORD })).status, 201);
    for (const [label, deviceId] of [
      ['NUL', NUL],
      ['unpaired surrogate', LONE],
      ['lone low surrogate', '\udc00'],
    ] as const) {
      for (const email of [newEmail('nobody'), known]) {
        assertRefused(await post(d.url, '/auth/login', { email, password: PASSWORD, deviceId }), 'deviceId', `login deviceId ${label}`);
        assertRefused(await post(d.url, '/auth/login', { email, password: 'wrong password', deviceId }), 'deviceId', `failed login deviceId ${label}`);
      }
    }
    await witnessIsStillAudited('poisoned logins');
  });

  test('register, refresh, forgot, reset and device bodies: every string field refuses NUL and unpaired surrogates, unknown fields too', async () => {
    const d = get();
    const attempts: Array<[string, Record<string, unknown>, string]> = [
      ['/auth/register', { email: newEmail('poison-reg'), password: `correct horse ${NUL}` }, 'password'],
      ['/auth/register', { email: newEmail('poison-reg'), password: PASSWORD, nickname: LONE }, 'nickname'],
      ['/auth/refresh', { refreshToken: NUL, deviceId: 'laptop' }, 'refreshToken'],
      ['/auth/logout', { refreshToken: LONE }, 'refreshToken'],
      ['/auth/password/forgot', { email: newEmail('poison-forgot'), [`x${NUL}`]: 1 }, 'xa\uFFFDb'],
      ['/auth/password/reset', { token: 'whatever', password: `${PASSWORD}${LONE}` }, 'password'],
      ['/auth/devices/verify', { verificationId: NUL, completeToken: 'x', code: '123456' }, 'verificationId'],
      ['/auth/mfa/verify', { mfaToken: 'x', code: LONE }, 'code'],
      ['/auth/email/verify', { token: { nested: [NUL] } }, 'token.nested.0'],
    ];
    for (const [path, body, field] of attempts) assertRefused(await post(d.url, path, body), field, `${path} ${field}`);
    await witnessIsStillAudited('poisoned bodies');
  });

  test('WebSocket frames: a poisoned field gets an error result for its id; a poisoned id gets an error frame; the connection stays open', async () => {
    const d = get();
    const raw = await openRaw(d.wsUrl);
    let frames = 1; // the welcome
    const next = () => nextFrame(raw, ++frames);
    const refusedResult = (frame: any, id: string, field: string) => {
      assert.equal(frame.type, 'result', JSON.stringify(frame));
      assert.equal(frame.id, id);
      assert.equal(frame.ok, false);
      assert.equal(frame.status, 400);
      assert.equal(frame.error.code, 'invalid_request');
      assert.ok(
        frame.error.details.some((i: { path: string; message: string }) => i.path === field && i.message === UNSTORABLE_MESSAGE),
        JSON.stringify(frame.error.details),
      );
    };
    raw.ws.send(JSON.stringify({ type: 'login', id: 'p1', email: newEmail('poison-ws'), password: PASSWORD, deviceId: NUL }));
    refusedResult(await next(), 'p1', 'deviceId');
    raw.ws.send(JSON.stringify({ type: 'login', id: 'p2', email: newEmail('poison-ws'), password: 'wrong', deviceId: LONE }));
    refusedResult(await next(), 'p2', 'deviceId');
    raw.ws.send(JSON.stringify({ type: 'register', id: 'p3', email: newEmail('poison-ws'), password: `${PASSWORD}${NUL}` }));
    refusedResult(await next(), 'p3', 'password');
    raw.ws.send(JSON.stringify({ type: 'verify', id: 'p4', accessToken: LONE }));
    refusedResult(await next(), 'p4', 'accessToken');
    raw.ws.send(JSON.stringify({ type: 'login', id: NUL, email: newEmail('poison-ws'), password: PASSWORD }));
    const frame = await next();
    assert.equal(frame.type, 'error', JSON.stringify(frame));
    assert.equal(frame.error.code, 'invalid_request');
    assert.ok(frame.error.details.some((i: { path: string; message: string }) => i.path === 'id' && i.message === UNSTORABLE_MESSAGE));
    raw.ws.send(JSON.stringify({ type: 'verify', id: 'p5', accessToken: 'x'.repeat(40) }));
    assert.equal((await next()).status, 401, 'the connection still answers');
    raw.ws.close();
    await witnessIsStillAudited('poisoned frames');
  });

  test('POST /events: NUL or an unpaired surrogate in a value or a key of data, at any depth, is 400 naming it; the trail goes on', async () => {
    const d = get();
    const email = newEmail('poison-events');
    assert.equal((await post(d.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    const login = await post(d.url, '/auth/login', { email, password: PASSWORD, deviceId: 'laptop' });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const headers = bearer(login.body.accessToken);
    const attempts: Array<[Record<string, unknown>, string]> = [
      [{ note: NUL }, 'data.note'],
      [{ note: LONE }, 'data.note'],
      [{ deep: { list: [1, { x: '\udfff' }] } }, 'data.deep.list.1.x'],
      [{ [`k${NUL}`]: 1 }, 'data.ka\uFFFDb'],
      [{ nested: { [LONE]: true } }, 'data.nested.a\uFFFDb'],
    ];
    for (const [data, field] of attempts) assertRefused(await post(d.apiUrl, '/events', { type: 'app.poison', data }, headers), field, `data ${field}`);
    assertRefused(await post(d.apiUrl, '/events', { type: `app.x${NUL}`, data: {} }, headers), 'type', 'type');
    const fine = await post(d.apiUrl, '/events', { type: 'app.poison', data: { note: 'plain 😀' } }, headers);
    assert.equal(fine.status, 201, JSON.stringify(fine.body));
    await witnessIsStillAudited('poisoned app events');
  });

  test('the account API refuses them in the query string (path parameters: services/api/test/storable-input.test.ts)', async () => {
    const d = get();
    assertRefused(await call(d.apiUrl, 'GET', '/users/check-email?email=a%00b%40example.test'), 'email', 'query string');
    const email = newEmail('poison-query');
    assert.equal((await post(d.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    const login = await post(d.url, '/auth/login', { email, password: PASSWORD, deviceId: 'laptop' });
    assertRefused(await call(d.apiUrl, 'GET', '/auth/events?before=x%00', { headers: bearer(login.body.accessToken) }), 'before', 'events cursor');
    await witnessIsStillAudited('poisoned queries');
  });

  // The in-process bus has no way in from outside the process: services/audit/test/set-aside.test.ts
  // puts poisoned events on it directly.
  if (shape.bus) {
    test('an event PostgreSQL cannot store put straight onto the bus is set aside: the trail goes on', async () => {
      const d = get();
      const ids = [await d.injectPoisonedEvent!(), await d.injectPoisonedEvent!()];
      await witnessIsStillAudited('events injected on the bus');
      for (const id of ids) assert.equal(await d.isStored!(id), false, 'the poisoned event is not stored');
    });
  }
}
