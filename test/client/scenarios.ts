import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthgateError, type AuthgateClient } from '@authgate/client';
import { PASSWORD, nextEvent, uniqueEmail, wiredClient } from './support.ts';

export interface SdkDeployment {
  /** The public origin (nginx in the cluster, the process in the all-in-one). */
  url: string;
}

export const VARIANTS = [
  { name: 'WebSocket', options: { transport: 'ws' as const } },
  { name: 'REST', options: { transport: 'rest' as const } },
  { name: 'REST deferred to the WebSocket (X-Connection-Id)', options: { transport: 'rest' as const, deferred: true } },
];

/** Polls `check` until it holds (the audit trail is written in batches), bounded. */
async function eventually<T>(what: string, get: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (check(value)) return value;
    if (Date.now() > until) assert.fail(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string, status: number): Promise<AuthgateError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AuthgateError, `an AuthgateError, not ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.status, status);
  return err;
}

/** The SDK's scenarios against a running gateway, once per transport. */
export function sdkScenarios(deployment: () => SdkDeployment): void {
  for (const variant of VARIANTS) {
    const make = () => wiredClient({ baseUrl: deployment().url, ...variant.options });
    const signIn = async (client: AuthgateClient, email: string) => {
      const outcome = await client.login(email, PASSWORD);
      assert.equal(outcome.kind, 'signed_in');
      return outcome.kind === 'signed_in' ? outcome.session : assert.fail('not signed in');
    };

    test(`${variant.name}: register, sign in, verify, me, sessions, the event trail, logout`, async () => {
      const { client, wire } = make();
      try {
        const email = uniqueEmail('sdk');
        const { userId } = await client.register(email, PASSWORD);
        const began = nextEvent(client, 'signed_in');
        const session = await signIn(client, email);
        assert.equal((await began).session.sessionId, session.sessionId);
        assert.equal(session.user.id, userId);
        assert.equal(client.current?.sessionId, session.sessionId);

        const verified = await client.verify();
        assert.deepEqual([verified.sub, verified.sid], [userId, session.sessionId]);
        assert.equal((await client.me()).email, email);
        const sessions = await client.sessions();
        assert.equal(sessions.length, 1);
        assert.equal(sessions[0]?.current, true);
        assert.equal(sessions[0]?.deviceId, client.deviceId);
        const trail = await eventually(
          'register and login.succeeded in the trail',
          () => client.events({ limit: 10 }),
          (page) => ['register', 'login.succeeded'].every((type) => page.events.some((e) => e.type === type)),
        );
        assert.ok(trail.events.every((e) => !JSON.stringify(e).includes(PASSWORD)));

        // Each transport takes its own road on the wire.
        const loginOnWire = wire.http.filter((r) => r.path === '/auth/login');
        if (variant.options.transport === 'ws') {
          assert.equal(loginOnWire.length, 0);
          assert.equal(wire.frames.filter((f) => f.type === 'login').length, 1);
        } else {
          assert.deepEqual(
            loginOnWire.map((r) => r.status),
            [variant.options.deferred ? 202 : 200],
          );
        }

        const ended = nextEvent(client, 'signed_out');
        await client.logout();
        assert.equal((await ended).reason, 'logout');
        assert.equal(client.current, null);
        const after = await fetch(`${deployment().url}/auth/verify`, { headers: { authorization: `Bearer ${session.accessToken}` } });
        assert.equal(after.status, 401);
      } finally {
        client.close();
      }
    });

    test(`${variant.name}: failures are AuthgateErrors with the contract's codes`, async () => {
      const { client } = make();
      try {
        const email = uniqueEmail('sdk-errors');
        await client.register(email, PASSWORD);
        await rejectsWith(client.register(email, PASSWORD), 'email_taken', 409);
        await rejectsWith(client.register(uniqueEmail('weak'), 'password'), 'weak_password', 400);
        const invalid = await rejectsWith(client.register('not-an-email', PASSWORD), 'invalid_request', 400);
        assert.ok(invalid.details?.some((d) => d.path === 'email'));
        await rejectsWith(client.login(email, 'wrong password here'), 'invalid_credentials', 401);
        await rejectsWith(client.sessions(), 'signed_out', 0);
        assert.equal(client.current, null);
      } finally {
        client.close();
      }
    });

    test(`${variant.name}: concurrent refreshes share one request, and the session survives (no grace)`, async () => {
      const { client, wire } = make();
      try {
        const email = uniqueEmail('sdk-refresh');
        await client.register(email, PASSWORD);
        const first = await signIn(client, email);
        const [a, b, c] = await Promise.all([client.refresh(), client.refresh(), client.refresh()]);
        assert.equal(wire.count('refresh'), 1, 'one refresh request on the wire');
        assert.equal(a.refreshToken, b.refreshToken);
        assert.equal(b.refreshToken, c.refreshToken);
        assert.notEqual(a.refreshToken, first.refreshToken);
        // REFRESH_GRACE_MS is 0: a second spend of the first token would have revoked the session.
        assert.equal((await client.verify()).sid, first.sessionId);
        const next = await client.refresh();
        assert.equal(wire.count('refresh'), 2);
        assert.notEqual(next.refreshToken, a.refreshToken);
        assert.equal((await client.verify()).sid, first.sessionId);
      } finally {
        client.close();
      }
    });

    test(`${variant.name}: a new sign-in is announced live, and revoking a session signs it out live`, async () => {
      const { client: laptop } = make();
      const { client: phone } = make();
      try {
        const email = uniqueEmail('sdk-live');
        await laptop.register(email, PASSWORD);
        await signIn(laptop, email);
        await laptop.connect();
        const announced = nextEvent(laptop, 'security.new_sign_in');
        const phoneSession = await signIn(phone, email);
        assert.equal((await announced).sessionId, phoneSession.sessionId);

        await phone.connect();
        const kicked = nextEvent(phone, 'signed_out');
        const revoked = nextEvent(phone, 'session.revoked');
        await laptop.revokeSession(phoneSession.sessionId);
        assert.equal((await revoked).sessionId, phoneSession.sessionId);
        assert.equal((await kicked).reason, 'revoked');
        assert.equal(phone.current, null);
        assert.equal((await laptop.sessions()).length, 1);
      } finally {
        laptop.close();
        phone.close();
      }
    });
  }
}
