import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import WebSocket from 'ws';
import { AuthgateError, createClient } from '@authgate/client';
import { codeAt } from '../../second-factor/worker/totp.ts';
import { call, type HttpAnswer, post } from '../../../test/helpers/http.ts';
import { LiveSocket } from '../../../test/helpers/live-socket.ts';
import type { Mailbox } from '../../../test/helpers/mailbox.ts';
import { newEmail, PASSWORD } from '../../../test/helpers/users.ts';
import { flipBit, SoftCredential, type Alg, type Ceremony } from './soft-authenticator.ts';
import { installSoftNavigator } from './soft-navigator.ts';

interface Edge {
  url: string;
  wsUrl: string;
}

/**
 * A deployment under test. Its PUBLIC_URL is `origin`: the soft authenticator writes that origin into
 * each response and signs for `rpId`, as a browser on that page would.
 */
export interface PasskeyDeployment {
  /** Two edges (the same process in the all-in-one). */
  a: Edge;
  b: Edge;
  /** Where GET /auth/events and the admin routes are answered. */
  apiUrl: string;
  origin: string;
  rpId: string;
  /** PASSKEY_CHALLENGE_TTL_S of the deployment. */
  challengeTtlS: number;
  mailbox: Mailbox;
  /** An access token of an administrator (ADMIN_USER_IDS). */
  adminToken(): Promise<string>;
  /** Every log line its processes printed so far. */
  logLines(): string[];
  /** A gateway whose PUBLIC_URL has an IP address for its host, and a per-IP limit of `ipLimit` a minute. */
  ipHost: Edge;
  ipLimit: number;
  /**
   * An edge whose worker has REQUIRE_VERIFIED_EMAIL=on, on the same database and PUBLIC_URL (the
   * all-in-one restarts with it: asked for last).
   */
  strict(): Promise<Edge>;
  /** The distributed shape: the milliseconds a pending sign-in challenge has left in Redis. */
  challengeTtlLeftMs?: (challengeId: string) => Promise<number>;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** The one answer of every refused ceremony: nothing tells which check failed. */
const REFUSAL = 'the passkey could not be verified';

function assertRefused(answer: { status: number; body: any }, what: string): void {
  assert.equal(answer.status, 401, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.error.code, 'invalid_credentials', what);
  assert.equal(answer.body.error.message, REFUSAL, `${what}: the library's message is never sent`);
}

interface Account {
  email: string;
  userId: string;
  access: string;
  refresh: string;
}

export function passkeyScenarios(get: () => PasskeyDeployment): void {
  /** Tokens the flows were handed: none may reach a log line. */
  const secrets: string[] = [];
  const ceremony = (challenge: string, extra: Partial<Ceremony> = {}): Ceremony => ({ origin: get().origin, rpId: get().rpId, challenge, ...extra });

  async function account(edge: Edge = get().a, deviceId = 'laptop'): Promise<Account> {
    const email = newEmail('passkey');
    const reg = await post(edge.url, '/auth/register', { email, password: PASSWORD });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const login = await post(edge.url, '/auth/login', { email, password: PASSWORD, deviceId });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    secrets.push(login.body.accessToken, login.body.refreshToken);
    return { email, userId: reg.body.userId, access: login.body.accessToken, refresh: login.body.refreshToken };
  }

  async function registrationOptions(who: Account, edge: Edge = get().a) {
    const options = await post(edge.url, '/auth/passkeys/register/options', {}, bearer(who.access));
    assert.equal(options.status, 200, JSON.stringify(options.body));
    return options.body;
  }

  /** A passkey made by the soft authenticator and registered over REST. */
  async function withPasskey(who: Account, options: { name?: string; alg?: Alg; edge?: Edge } = {}) {
    const edge = options.edge ?? get().a;
    const creation = await registrationOptions(who, edge);
    const credential = new SoftCredential(creation.user.id, options.alg);
    const body = { response: credential.register(ceremony(creation.challenge)), ...(options.name ? { name: options.name } : {}) };
    const answer = await post(edge.url, '/auth/passkeys/register', body, bearer(who.access));
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return { credential, id: answer.body.id as string, answer };
  }

  async function loginOptions(edge: Edge = get().a): Promise<{ challengeId: string; options: any }> {
    const answer = await post(edge.url, '/auth/passkeys/login/options', {});
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  /** A whole sign-in: options, the authenticator's assertion (changed by `extra`), the answer. */
  async function signIn(credential: SoftCredential, extra: Partial<Ceremony> & { signCount?: number; deviceId?: string } = {}, edge: Edge = get().a) {
    const { challengeId, options } = await loginOptions(edge);
    const { deviceId, ...changes } = extra;
    const response = credential.assert({ ...ceremony(options.challenge), ...changes });
    const answer = await post(edge.url, '/auth/passkeys/login', { challengeId, response, ...(deviceId ? { deviceId } : {}) });
    if (answer.status === 200) secrets.push(answer.body.accessToken, answer.body.refreshToken);
    return answer;
  }

  /** Waits for the account's trail (written in batches) to hold an event of `type` that `match` accepts. */
  async function inTrail(who: Account, type: string, match: (event: any) => boolean = () => true, timeoutMs = 10_000): Promise<any[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const answer = await call(get().apiUrl, 'GET', '/auth/events?limit=100', { headers: bearer(who.access) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const events = (answer.body.events as any[]).filter((e) => e.type === type && match(e));
      if (events.length > 0) return events;
      if (Date.now() > until) assert.fail(`no ${type} event in the trail: ${JSON.stringify(answer.body.events.map((e: any) => [e.type, e.data]))}`);
      await sleep(100);
    }
  }

  const reasons = async (who: Account, expected: string[]) => {
    const events = await inTrail(who, 'login.failed', (e) => expected.includes(e.data.reason));
    const until = Date.now() + 10_000;
    let seen = new Set(events.map((e) => e.data.reason));
    while (expected.some((r) => !seen.has(r)) && Date.now() < until) {
      await sleep(200);
      seen = new Set((await inTrail(who, 'login.failed')).map((e) => e.data.reason));
    }
    assert.deepEqual(
      expected.filter((r) => !seen.has(r)),
      [],
      `login.failed reasons in the trail: ${[...seen].join(', ')}`,
    );
  };

  test('registration options: a resident key, verification preferred, ES256 first, rp = PUBLIC_URL host, a random 32-byte user handle kept per account; passkeys excluded', async () => {
    const d = get();
    const alice = await account();
    const first = await registrationOptions(alice);
    assert.deepEqual(first.rp, { name: 'authgate', id: d.rpId });
    assert.equal(first.authenticatorSelection.residentKey, 'required');
    assert.equal(first.authenticatorSelection.requireResidentKey, true);
    assert.equal(first.authenticatorSelection.userVerification, 'preferred');
    assert.equal(first.attestation, 'none');
    assert.deepEqual(
      first.pubKeyCredParams.map((p: any) => p.alg),
      [-7, -8, -257],
    );
    assert.ok(Buffer.from(first.challenge, 'base64url').length >= 16, 'a challenge of at least 128 random bits');
    assert.equal(first.user.name, alice.email, 'the chooser shows the email');
    const handle = Buffer.from(first.user.id, 'base64url');
    assert.equal(handle.length, 32);
    for (const personal of [alice.email, alice.userId]) assert.ok(!handle.toString('latin1').includes(personal), 'the handle is not the email or the user id');
    assert.deepEqual(first.excludeCredentials, []);

    const { id } = await withPasskey(alice);
    const second = await registrationOptions(alice, d.b);
    assert.equal(second.user.id, first.user.id, 'the same handle on every call, from any edge');
    assert.notEqual(second.challenge, first.challenge);
    assert.deepEqual(second.excludeCredentials, [{ id, type: 'public-key', transports: ['internal'] }]);
    const bob = await account();
    assert.notEqual((await registrationOptions(bob)).user.id, first.user.id, 'one handle per account');
  });

  test('register over REST: 201 {id, name, createdAt}; listed; the account is told: audit event, live event to its other sessions, notice mail', async () => {
    const d = get();
    const alice = await account();
    // Another session of the account, its socket on the other edge.
    const other = await post(d.b.url, '/auth/login', { email: alice.email, password: PASSWORD, deviceId: 'laptop' });
    const watcher = await LiveSocket.open(d.b.wsUrl);
    try {
      assert.equal((await watcher.request('authenticate', { accessToken: other.body.accessToken })).ok, true);
      const { id, answer } = await withPasskey(alice, { name: 'Work laptop' });
      assert.deepEqual(Object.keys(answer.body).sort(), ['createdAt', 'id', 'name']);
      assert.equal(answer.body.name, 'Work laptop');
      assert.ok(Math.abs(Date.parse(answer.body.createdAt) - Date.now()) < 60_000);
      const listed = await call(d.b.url, 'GET', '/auth/passkeys', { headers: bearer(alice.access) });
      assert.deepEqual(listed.body, [{ id, name: 'Work laptop', createdAt: answer.body.createdAt, lastUsedAt: null }]);

      const live = await watcher.waitForEvent('passkey.registered', 10_000);
      assert.deepEqual({ id: live.data.id, name: live.data.name }, { id, name: 'Work laptop' });
      const [event] = await inTrail(alice, 'passkey.registered');
      assert.equal(event.sessionId, decodeJwt(alice.access).sid, 'the session that added it');
      const mail = await d.mailbox.take(alice.email, (m) => /A passkey was added to your/.test(m.subject ?? ''), 10_000);
      assert.match(mail.text ?? '', /signs in without the password/);

      // A name is optional; over the socket, as over REST.
      const unnamed = await withPasskey(alice);
      assert.equal(unnamed.answer.body.name, 'Passkey');
    } finally {
      watcher.close();
    }
  });

  test('sign in: a token pair whose session says amr hwk; no second factor though TOTP is on, no approval from a new device, which is known from then on; last use listed', async () => {
    const d = get();
    const alice = await account(d.a, 'laptop');
    const { credential, id } = await withPasskey(alice);
    // TOTP on (confirmed with the step before now, so that the current step is left for the verify below).
    const setup = await call(d.a.url, 'POST', '/auth/mfa/totp/setup', { headers: bearer(alice.access), body: { password: PASSWORD } });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
    const secret = setup.body.secret as string;
    const confirm = await call(d.a.url, 'POST', '/auth/mfa/totp/confirm', {
      headers: bearer(alice.access),
      body: { code: codeAt(secret, Date.now() - 30_000) },
    });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    // Without a passkey, the phone (a device this account never used) would need both.
    const byPassword = await post(d.a.url, '/auth/login', { email: alice.email, password: PASSWORD, deviceId: 'phone' });
    assert.equal(byPassword.body.error?.code, 'mfa_required', JSON.stringify(byPassword.body));

    const answer = await signIn(credential, { deviceId: 'phone' }, d.b);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.tokenType, 'Bearer');
    assert.deepEqual(answer.body.user, { id: alice.userId, email: alice.email });
    const claims = decodeJwt(answer.body.accessToken);
    assert.deepEqual(claims.amr, ['hwk']);
    assert.equal(claims.sub, alice.userId);
    assert.ok(Math.abs((claims.auth_time as number) - Date.now() / 1000) < 60);
    const verified = await call(d.a.url, 'GET', '/auth/verify', { headers: bearer(answer.body.accessToken) });
    assert.equal(verified.status, 200, 'a session like any other');
    // Its refreshes keep the method.
    const refreshed = await post(d.a.url, '/auth/refresh', { refreshToken: answer.body.refreshToken, deviceId: 'phone' });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);
    assert.deepEqual(decodeJwt(refreshed.body.accessToken).amr, ['hwk']);

    // The phone is known now: its password sign-in asks the second factor, then no device approval.
    const again = await post(d.a.url, '/auth/login', { email: alice.email, password: PASSWORD, deviceId: 'phone' });
    assert.equal(again.body.error?.code, 'mfa_required');
    const mfa = await post(d.a.url, '/auth/mfa/verify', { mfaToken: again.body.error.mfaToken, code: codeAt(secret, Date.now()) });
    assert.equal(mfa.status, 200, `the phone is a known device now: ${JSON.stringify(mfa.body)}`);

    const listed = await call(d.a.url, 'GET', '/auth/passkeys', { headers: bearer(alice.access) });
    assert.equal(listed.body[0].id, id);
    assert.ok(listed.body[0].lastUsedAt && Math.abs(Date.parse(listed.body[0].lastUsedAt) - Date.now()) < 60_000, 'last used now');
    const [signedIn] = await inTrail(alice, 'login.succeeded', (e) => e.sessionId === answer.body.sessionId);
    assert.equal(signedIn.deviceId, 'phone');
  });

  test('over WebSocket: options, register, list, sign in (the socket is bound to the new session, as by a login), delete', async () => {
    const d = get();
    const alice = await account();
    const owner = await LiveSocket.open(d.a.wsUrl);
    const stranger = await LiveSocket.open(d.b.wsUrl);
    try {
      assert.equal((await owner.request('authenticate', { accessToken: alice.access })).ok, true);
      const creation = await owner.request('passkey_register_options', {});
      assert.equal(creation.ok, true, JSON.stringify(creation));
      const credential = new SoftCredential(creation.data.user.id, -8);
      const registered = await owner.request('passkey_register', { response: credential.register(ceremony(creation.data.challenge)), name: 'EdDSA key' });
      assert.equal(registered.status, 201, JSON.stringify(registered));
      const listed = await owner.request('passkeys_list', {});
      assert.deepEqual(
        listed.data.map((p: any) => p.name),
        ['EdDSA key'],
      );

      // Not signed in: the session commands are refused, the sign-in commands are not.
      assert.equal((await stranger.request('passkeys_list', {})).error.code, 'invalid_token');
      const begun = await stranger.request('passkey_login_options', {});
      assert.equal(begun.ok, true, JSON.stringify(begun));
      assert.equal(begun.data.options.allowCredentials, undefined, 'discoverable: no account named');
      const signedIn = await stranger.request('passkey_login', {
        challengeId: begun.data.challengeId,
        response: credential.assert(ceremony(begun.data.options.challenge)),
      });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn));
      secrets.push(signedIn.data.accessToken, signedIn.data.refreshToken);
      // Bound: the session commands now act for the passkey's session, and the account's events reach it.
      const sessions = await stranger.request('sessions_list', {});
      assert.equal(sessions.ok, true, JSON.stringify(sessions));
      assert.equal(sessions.data.find((s: any) => s.current)?.id, signedIn.data.sessionId);

      const removed = await owner.request('passkey_delete', { passkeyId: registered.data.id });
      assert.equal(removed.status, 204, JSON.stringify(removed));
      const told = await stranger.waitForEvent('passkey.removed', 10_000);
      assert.equal(told.data.id, registered.data.id);
      assert.equal((await owner.request('passkey_delete', { passkeyId: registered.data.id })).error.code, 'not_found');
      const malformed = await owner.request('passkey_delete', { passkeyId: 'not base64url!' });
      assert.equal(malformed.error.code, 'invalid_request');
    } finally {
      owner.close();
      stranger.close();
    }
  });

  for (const transport of ['ws', 'rest'] as const) {
    test(`the SDK over ${transport === 'ws' ? 'WebSocket' : 'REST'}: registerPasskey, listPasskeys, signInWithPasskey on another device, deletePasskey; then it is refused`, async () => {
      const d = get();
      const alice = await account();
      const softNavigator = installSoftNavigator(d.origin);
      const options = { baseUrl: d.a.url, transport, WebSocket: WebSocket as never, live: transport === 'ws', autoRefresh: false };
      const laptop = createClient({ ...options, deviceId: 'laptop' });
      const phone = createClient({ ...options, baseUrl: d.b.url, deviceId: `phone-${transport}` });
      try {
        await laptop.login(alice.email, PASSWORD);
        const added = await laptop.registerPasskey('SDK key');
        assert.equal(added.name, 'SDK key');
        const again = await laptop.registerPasskey().then(
          () => assert.fail('the authenticator already holds one of the account passkeys'),
          (err: Error) => err,
        );
        assert.equal(again.name, 'InvalidStateError', 'the account passkeys were excluded');
        assert.deepEqual(
          (await laptop.listPasskeys()).map((p) => [p.id, p.name, p.lastUsedAt]),
          [[added.id, 'SDK key', null]],
        );

        const session = await phone.signInWithPasskey();
        secrets.push(session.accessToken, session.refreshToken);
        assert.equal(session.user.email, alice.email);
        assert.deepEqual(decodeJwt(session.accessToken).amr, ['hwk']);
        const sessions = await phone.sessions();
        assert.equal(sessions.find((s) => s.current)?.deviceId, `phone-${transport}`, 'signed in as its own device, no approval asked');
        assert.notEqual((await phone.listPasskeys())[0]?.lastUsedAt, null);

        await phone.deletePasskey(added.id);
        assert.deepEqual(await laptop.listPasskeys(), []);
        await phone.logout();
        const refused = await phone.signInWithPasskey().then(
          () => assert.fail('a removed passkey'),
          (err: unknown) => err,
        );
        assert.ok(refused instanceof AuthgateError && refused.code === 'invalid_credentials', String(refused));
        assert.equal(phone.current, null);
      } finally {
        laptop.close();
        phone.close();
        softNavigator.uninstall();
      }
    });
  }

  test('refused sign-ins: wrong origin, wrong rp id, no user verification, no user presence, forged signature, changed data, another account’s handle, a registration response: each 401 with one message, each in the trail', async () => {
    const alice = await account();
    const { credential } = await withPasskey(alice, { name: 'soft' });
    const bob = await account();
    const bobs = await withPasskey(bob);

    assertRefused(await signIn(credential, { origin: 'https://evil.example.test' }), 'another origin');
    assertRefused(await signIn(credential, { origin: get().origin.replace(/^https?/, (s) => (s === 'https' ? 'http' : 'https')) }), 'another scheme');
    assertRefused(await signIn(credential, { rpId: 'example.test' }), 'another rp id');
    assertRefused(await signIn(credential, { uv: false }), 'no user verification');
    assertRefused(await signIn(credential, { up: false }), 'no user presence');

    const forge = async (change: (response: any) => void, what: string) => {
      const { challengeId, options } = await loginOptions();
      const response = credential.assert(ceremony(options.challenge));
      change(response);
      assertRefused(await post(get().a.url, '/auth/passkeys/login', { challengeId, response }), what);
    };
    await forge((r) => {
      r.response.signature = flipBit(r.response.signature, -1);
    }, 'a forged signature (last bit)');
    await forge((r) => {
      r.response.signature = flipBit(r.response.signature, 0);
    }, 'a signature that is no DER');
    await forge((r) => {
      r.response.authenticatorData = flipBit(r.response.authenticatorData, 36);
    }, 'signed data changed (the counter byte)');
    await forge((r) => {
      r.response.userHandle = bobs.credential.userHandle;
    }, "another account's user handle");
    await forge((r) => {
      delete r.response.userHandle;
    }, 'no user handle');
    await forge((r) => {
      r.id = bobs.id;
      r.rawId = bobs.id;
    }, "another account's credential id");
    const { challengeId } = await loginOptions();
    const registration = credential.register(ceremony((await registrationOptions(alice)).challenge));
    assertRefused(
      await post(get().a.url, '/auth/passkeys/login', {
        challengeId,
        response: { ...registration, response: { ...registration.response, authenticatorData: 'AAAA', signature: 'AAAA' } },
      }),
      'a registration response',
    );

    assert.equal((await signIn(credential)).status, 200, 'the passkey itself still signs in');
    await reasons(alice, ['passkey_origin', 'passkey_rp_id', 'passkey_user_verification', 'passkey_user_presence', 'passkey_signature', 'passkey_user_handle']);
  });

  test('replays: a challenge answers once (also when two answers race), an old assertion under a fresh challenge, a counter that goes back or stays; an unknown challengeId', async () => {
    const alice = await account();
    const { credential } = await withPasskey(alice);

    const { challengeId, options } = await loginOptions();
    const response = credential.assert(ceremony(options.challenge));
    const [one, two] = await Promise.all([
      post(get().a.url, '/auth/passkeys/login', { challengeId, response }),
      post(get().b.url, '/auth/passkeys/login', { challengeId, response }),
    ]);
    assert.deepEqual([one.status, two.status].sort(), [200, 401], 'of two answers at once, one');
    for (const a of [one, two]) if (a.status === 200) secrets.push(a.body.accessToken, a.body.refreshToken);
    assertRefused(await post(get().a.url, '/auth/passkeys/login', { challengeId, response }), 'the same challengeId again');

    const fresh = await loginOptions();
    assertRefused(await post(get().a.url, '/auth/passkeys/login', { challengeId: fresh.challengeId, response }), 'an old assertion under a fresh challenge');
    assertRefused(await post(get().a.url, '/auth/passkeys/login', { challengeId: randomBytes(32).toString('base64url'), response }), 'an unknown challengeId');
    assertRefused(await post(get().a.url, '/auth/passkeys/login', { challengeId: 'x', response }), 'a challengeId of no shape of ours');

    const counter = credential.signCount;
    assertRefused(await signIn(credential, { signCount: counter - 1 }), 'a counter that went back (a cloned authenticator)');
    assertRefused(await signIn(credential, { signCount: counter }), 'the counter as stored');
    assert.equal((await signIn(credential, { signCount: counter + 5 })).status, 200, 'a counter that went up');
    await reasons(alice, ['passkey_challenge', 'passkey_counter']);
  });

  test('a challenge expires after PASSKEY_CHALLENGE_TTL_S; a fresh one is answered', async () => {
    const d = get();
    const alice = await account();
    const { credential } = await withPasskey(alice);
    const stale = await loginOptions();
    if (d.challengeTtlLeftMs) {
      const left = await d.challengeTtlLeftMs(stale.challengeId);
      assert.ok(left > 0 && left <= d.challengeTtlS * 1000, `the challenge lives at most PASSKEY_CHALLENGE_TTL_S in Redis (${left} ms left)`);
    }
    const staleRegistration = await registrationOptions(alice);
    await sleep(d.challengeTtlS * 1000 + 1_000);
    assertRefused(
      await post(d.a.url, '/auth/passkeys/login', { challengeId: stale.challengeId, response: credential.assert(ceremony(stale.options.challenge)) }),
      'an expired sign-in challenge',
    );
    const late = new SoftCredential(staleRegistration.user.id);
    assertRefused(
      await post(d.a.url, '/auth/passkeys/register', { response: late.register(ceremony(staleRegistration.challenge)) }, bearer(alice.access)),
      'an expired registration challenge',
    );
    assert.equal((await signIn(credential)).status, 200, 'a fresh challenge answered at once');
  });

  test('refused registrations: another origin or rp id, no user verification, a challenge of another account or used already, a credential registered already; none is stored', async () => {
    const alice = await account();
    const bob = await account();
    const attempt = async (who: Account, change: (c: SoftCredential, challenge: string) => unknown, what: string) => {
      const creation = await registrationOptions(alice);
      const credential = new SoftCredential(creation.user.id);
      assertRefused(await post(get().a.url, '/auth/passkeys/register', { response: change(credential, creation.challenge) }, bearer(who.access)), what);
    };
    await attempt(alice, (c, challenge) => c.register(ceremony(challenge, { origin: 'https://evil.example.test' })), 'another origin');
    await attempt(alice, (c, challenge) => c.register(ceremony(challenge, { rpId: 'evil.example.test' })), 'another rp id');
    await attempt(alice, (c, challenge) => c.register(ceremony(challenge, { uv: false })), 'an authenticator that does not verify the user');
    await attempt(bob, (c, challenge) => c.register(ceremony(challenge)), "alice's challenge sent by bob");
    await attempt(alice, (c) => c.register(ceremony(randomBytes(32).toString('base64url'))), 'a challenge nobody issued');

    const creation = await registrationOptions(alice);
    const credential = new SoftCredential(creation.user.id);
    const response = credential.register(ceremony(creation.challenge));
    assert.equal((await post(get().a.url, '/auth/passkeys/register', { response }, bearer(alice.access))).status, 201);
    assertRefused(await post(get().a.url, '/auth/passkeys/register', { response }, bearer(alice.access)), 'the same response again (its challenge is used)');
    const again = await registrationOptions(bob);
    const copy = credential.register(ceremony(again.challenge));
    assertRefused(await post(get().a.url, '/auth/passkeys/register', { response: copy }, bearer(bob.access)), 'a credential id registered already');
    const listed = await call(get().a.url, 'GET', '/auth/passkeys', { headers: bearer(alice.access) });
    assert.equal(listed.body.length, 1, 'only the good one');
    assert.deepEqual((await call(get().a.url, 'GET', '/auth/passkeys', { headers: bearer(bob.access) })).body, []);
    assert.equal((await post(get().a.url, '/auth/passkeys/register/options', {})).status, 401, 'no access token: 401');
    assert.equal((await call(get().a.url, 'GET', '/auth/passkeys')).body.error.code, 'invalid_token');
  });

  test("remove: 204, then the passkey is refused; 404 for another account's or an unknown one, 400 for a malformed id; the account is told", async () => {
    const d = get();
    const alice = await account();
    const bob = await account();
    const { credential, id } = await withPasskey(alice, { name: 'Old phone' });
    assert.equal((await signIn(credential)).status, 200);
    assert.equal((await call(d.a.url, 'DELETE', `/auth/passkeys/${id}`, { headers: bearer(bob.access) })).status, 404, "bob cannot remove alice's");
    assert.equal((await call(d.a.url, 'DELETE', `/auth/passkeys/${randomBytes(32).toString('base64url')}`, { headers: bearer(alice.access) })).status, 404);
    const malformed = await call(d.a.url, 'DELETE', '/auth/passkeys/not%20base64url', { headers: bearer(alice.access) });
    assert.equal(malformed.status, 400, JSON.stringify(malformed.body));
    assert.equal(malformed.body.error.code, 'invalid_request');
    assert.equal((await call(d.a.url, 'DELETE', `/auth/passkeys/${id}`)).status, 401, 'no access token');

    assert.equal((await call(d.b.url, 'DELETE', `/auth/passkeys/${id}`, { headers: bearer(alice.access) })).status, 204);
    assertRefused(await signIn(credential), 'a removed passkey');
    assert.equal((await call(d.a.url, 'DELETE', `/auth/passkeys/${id}`, { headers: bearer(alice.access) })).status, 404, 'removed once');
    await inTrail(alice, 'passkey.removed');
    // Nothing verified names an account for a credential nobody has: the refusal is a log line, not the account's event.
    assert.ok(d.logLines().some((line) => line.includes('passkey sign-in refused') && line.includes('"reason":"unknown_credential"')));
    await d.mailbox.take(alice.email, (m) => /A passkey was removed from your/.test(m.subject ?? ''), 10_000);
  });

  test('a disabled account: 403 account_disabled, told only after the passkey verified', async () => {
    const d = get();
    const alice = await account();
    const { credential } = await withPasskey(alice);
    const disabled = await call(d.apiUrl, 'POST', `/admin/users/${alice.userId}/disable`, { headers: bearer(await d.adminToken()) });
    assert.equal(disabled.status, 204, JSON.stringify(disabled.body));
    assertRefused(await signIn(credential, { uv: false }), 'an unverified assertion does not learn the account is disabled');
    const refused = await signIn(credential);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'account_disabled');
  });

  test('bad input: 400 invalid_request naming the field, 415 without JSON, 413 past the body limit; never a 500', async () => {
    const d = get();
    const { challengeId, options } = await loginOptions();
    const alice = await account();
    const { credential } = await withPasskey(alice);
    const good = credential.assert(ceremony(options.challenge));
    const cases: Array<[string, unknown, string]> = [
      ['no response', { challengeId }, 'response'],
      ['no challengeId', { response: good }, 'challengeId'],
      ['a response of the wrong type', { challengeId, response: { ...good, type: 'password' } }, 'response.type'],
      ['a signature not base64url', { challengeId, response: { ...good, response: { ...good.response, signature: 'a+b/c=' } } }, 'response.response.signature'],
      ['a NUL in a field', { challengeId: 'a\u0000b', response: good }, 'challengeId'],
      ['a deviceId too long', { challengeId, response: good, deviceId: 'x'.repeat(200) }, 'deviceId'],
    ];
    for (const [what, body, field] of cases) {
      const answer = await post(d.a.url, '/auth/passkeys/login', body);
      assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'invalid_request', what);
      assert.ok(
        answer.body.error.details.some((x: any) => x.path === field),
        `${what}: details name ${field}: ${JSON.stringify(answer.body.error.details)}`,
      );
    }
    const name = await post(d.a.url, '/auth/passkeys/register', { response: good, name: 'x'.repeat(65) }, bearer(alice.access));
    assert.equal(name.status, 400, JSON.stringify(name.body));
    const form = await call(d.a.url, 'POST', '/auth/passkeys/login', {
      raw: 'challengeId=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    const huge = await post(d.a.url, '/auth/passkeys/login', { challengeId, response: { ...good, clientExtensionResults: { pad: 'x'.repeat(40_000) } } });
    assert.equal(huge.status, 413);
    // The challenge was never reached by any of these: it still answers.
    const answer = await post(d.a.url, '/auth/passkeys/login', { challengeId, response: good });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    secrets.push(answer.body.accessToken, answer.body.refreshToken);
  });

  test('a gateway whose PUBLIC_URL has an IP host answers the options 403 saying why, and warned at start; the per-IP limit applies to passkey commands', async () => {
    const d = get();
    const refused: HttpAnswer[] = [];
    for (let i = 0; i < d.ipLimit * 3; i++) {
      const kind = i % 2 === 0 ? '/auth/passkeys/login/options' : '/auth/passkeys/login';
      const body = kind.endsWith('options')
        ? {}
        : {
            challengeId: 'x'.repeat(20),
            response: {
              id: 'a',
              rawId: 'a',
              type: 'public-key',
              clientExtensionResults: {},
              response: { clientDataJSON: 'a', authenticatorData: 'a', signature: 'a' },
            },
          };
      refused.push(await post(d.ipHost.url, kind, body));
    }
    const first = refused[0]!;
    assert.equal(first.status, 403, JSON.stringify(first.body));
    assert.equal(first.body.error.code, 'forbidden');
    assert.match(first.body.error.message, /IP address/);
    assert.equal(refused[1]!.status, 401, 'a sign-in with no pending challenge');
    const limited = refused.filter((a) => a.status === 429);
    assert.ok(limited.length > 0, `past ${d.ipLimit} a minute, 429: ${refused.map((a) => a.status).join(' ')}`);
    assert.equal(limited[0]!.body.error.code, 'rate_limited');
    assert.ok(Number(limited[0]!.headers.get('retry-after')) > 0);
    assert.ok(
      d.logLines().some((line) => line.includes('passkeys are unavailable on this gateway') && line.includes('"level":40')),
      'the worker warned at start',
    );
  });

  test('no token a passkey sign-in issued, and no challenge or signature, is in any log line', async () => {
    const alice = await account();
    const { credential } = await withPasskey(alice);
    const { challengeId, options } = await loginOptions();
    const response = credential.assert(ceremony(options.challenge));
    const answer = await post(get().a.url, '/auth/passkeys/login', { challengeId, response });
    assert.equal(answer.status, 200);
    secrets.push(answer.body.accessToken, answer.body.refreshToken);
    assertRefused(await signIn(credential, { origin: 'https://evil.example.test' }), 'a refusal, logged with its reason');
    await sleep(500);
    const lines = get().logLines();
    assert.ok(
      lines.some((l) => l.includes('passkey sign-in refused') && l.includes('"reason":"origin"')),
      'the refusal is logged with the check that failed',
    );
    const leaked = [...secrets, challengeId, options.challenge, response.response.signature].filter((secret) => lines.some((line) => line.includes(secret)));
    assert.deepEqual(leaked, [], 'tokens, challenges and signatures stay out of the logs');
  });

  test('REQUIRE_VERIFIED_EMAIL: a passkey of an account whose address is not verified is refused email_not_verified after it verified', async () => {
    const d = get();
    const alice = await account();
    const { credential } = await withPasskey(alice);
    const strict = await d.strict();
    const refused = await signIn(credential, {}, strict);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'email_not_verified');
    assertRefused(await signIn(credential, { uv: false }, strict), 'an unverified assertion is refused first');
  });
}
