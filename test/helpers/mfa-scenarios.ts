import { test } from 'node:test';
import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { codeAt } from '@authgate/features/second-factor/worker/totp';
import { call, post } from './http.ts';
import { LiveSocket } from './live-socket.ts';
import { newEmail, PASSWORD } from './users.ts';

/** One deployment under test: an edge's URLs, the account API's, and every log line its processes printed. */
export interface MfaDeployment {
  url: string;
  wsUrl: string;
  apiUrl: string;
  /** Wrong codes allowed per account and per address in its configuration (MFA_*_MAX_FAILURES). */
  limits: { account: number; ip: number };
  logLines(): Record<string, unknown>[];
  /** Every value the deployment's stores hold (Redis, the TOTP tables), where it has stores to read. */
  storedValues?: () => Promise<string[]>;
}

const STEP_MS = 30_000;
/** Each flow computes its codes after this much of the current step is left: no step ends under it. */
const MARGIN_MS = 8_000;

/**
 * The clock of these tests is the real one, shared with the worker processes: codes are computed from
 * the secret with the same library (otpauth) at the real time, or ±30 s / ±90 s of it. A flow starts
 * with at least MARGIN_MS of its step left, so that "now", "now - 30 s" and "now + 90 s" name the same
 * steps for the test and for the worker. No test-only setting, no clock backdoor in the product.
 */
async function freshStep(): Promise<void> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** Whatever these flows were given that must never reach a log line. */
const secrets = new Set<string>();
const keep = <T extends string>(value: T): T => {
  secrets.add(value);
  return value;
};

async function registered(base: string) {
  const email = newEmail('mfa');
  const reg = await post(base, '/auth/register', { email, password: PASSWORD });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const login = await post(base, '/auth/login', { email, password: PASSWORD });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  keep(login.body.accessToken);
  keep(login.body.refreshToken);
  return { email, userId: reg.body.userId as string, access: login.body.accessToken as string, refresh: login.body.refreshToken as string };
}

const bearer = (access: string) => ({ authorization: `Bearer ${access}` });

/** Setup, then confirm with the code of the step before now (a slow phone: drift accepted). */
async function enrol(base: string, access: string) {
  const setup = await call(base, 'POST', '/auth/mfa/totp/setup', { headers: bearer(access), body: { password: PASSWORD } });
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
  const secret = keep(setup.body.secret as string);
  const code = keep(codeAt(secret, Date.now() - STEP_MS));
  const confirm = await call(base, 'POST', '/auth/mfa/totp/confirm', { headers: bearer(access), body: { code } });
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  const recoveryCodes = confirm.body.recoveryCodes as string[];
  for (const rc of recoveryCodes) keep(rc);
  return { secret, recoveryCodes, otpauthUrl: setup.body.otpauthUrl as string };
}

async function mfaRequired(base: string, email: string): Promise<string> {
  const login = await post(base, '/auth/login', { email, password: PASSWORD });
  assert.equal(login.status, 403, JSON.stringify(login.body));
  assert.equal(login.body.error.code, 'mfa_required');
  assert.deepEqual(login.body.error.methods, ['totp', 'recovery']);
  assert.equal(login.body.error.expiresIn, 300);
  assert.match(login.body.error.mfaToken, /^[A-Za-z0-9_-]{43}$/);
  return keep(login.body.error.mfaToken as string);
}

const verify = (base: string, body: Record<string, string>) => post(base, '/auth/mfa/verify', body);

async function me(d: MfaDeployment, access: string) {
  const answer = await call(d.apiUrl, 'GET', '/auth/me', { headers: bearer(access) });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as { mfaEnabled: boolean };
}

/** The account's audit trail (GET /auth/events) once it holds every type of `types` (the writer batches). */
async function eventTypes(d: MfaDeployment, access: string, types: string[]): Promise<string[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const answer = await call(d.apiUrl, 'GET', '/auth/events?limit=100', { headers: bearer(access) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const seen = (answer.body.events as Array<{ type: string; data: unknown }>).map((e) => e.type);
    if (types.every((t) => seen.includes(t)) || Date.now() > until) return seen;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Which of the secrets these flows were handed appear in `texts`. */
function leaksIn(texts: string[]): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    // A 6-digit code is looked for as a number of its own, not inside a longer one (a timestamp).
    const pattern = /^\d{6}$/.test(secret) ? new RegExp(`(?<![0-9])${secret}(?![0-9])`) : undefined;
    const hit = texts.find((text) => (pattern ? pattern.test(text) : text.includes(secret)));
    if (hit) leaks.push(`${secret.slice(0, 4)}… in ${hit.slice(0, 200)}`);
  }
  return leaks;
}

/** The TOTP flows, end to end through whichever deployment `get` returns. */
export function mfaScenarios(get: () => MfaDeployment, options: { readsStores: boolean }): void {
  test('enrol → confirm → logout → login answers mfa_required → verify with a code → tokens; /auth/me says mfaEnabled', async () => {
    const d = get();
    await freshStep();
    const user = await registered(d.url);
    assert.equal((await me(d, user.access)).mfaEnabled, false);
    const setup = await call(d.url, 'POST', '/auth/mfa/totp/setup', { headers: bearer(user.access), body: { password: PASSWORD } });
    assert.equal(setup.status, 200);
    keep(setup.body.secret);
    assert.match(setup.body.otpauthUrl, /^otpauth:\/\/totp\/authgate:.+secret=[A-Z2-7]+/);
    // Pending is not on: the password alone still signs in.
    const plain = await post(d.url, '/auth/login', { email: user.email, password: PASSWORD });
    assert.equal(plain.status, 200);
    keep(plain.body.accessToken);
    keep(plain.body.refreshToken);
    const wrong = await call(d.url, 'POST', '/auth/mfa/totp/confirm', {
      headers: bearer(user.access),
      body: { code: codeAt(setup.body.secret, Date.now() + 5 * 60_000) },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'invalid_code');
    const enrolled = await enrol(d.url, user.access); // a second setup replaced the first pending secret
    assert.equal(enrolled.recoveryCodes.length, 10);
    assert.equal(new Set(enrolled.recoveryCodes).size, 10);
    const again = await call(d.url, 'POST', '/auth/mfa/totp/setup', { headers: bearer(user.access), body: { password: PASSWORD } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'mfa_already_enabled');
    assert.equal((await me(d, user.access)).mfaEnabled, true);

    assert.equal((await post(d.url, '/auth/logout', { refreshToken: user.refresh })).status, 204);
    const mfaToken = await mfaRequired(d.url, user.email);
    const pair = await verify(d.url, { mfaToken, code: keep(codeAt(enrolled.secret, Date.now())) });
    assert.equal(pair.status, 200, JSON.stringify(pair.body));
    assert.equal(pair.body.tokenType, 'Bearer');
    assert.equal(pair.body.user.email, user.email);
    keep(pair.body.accessToken);
    keep(pair.body.refreshToken);
    const checked = await call(d.url, 'GET', '/auth/verify', { headers: bearer(pair.body.accessToken) });
    assert.equal(checked.status, 200);
    assert.equal(checked.body.sub, user.userId);
    // The session records both proofs (RFC 8176 amr), and its refreshed tokens keep saying so.
    assert.deepEqual(decodeJwt(pair.body.accessToken).amr, ['pwd', 'otp']);
    const refreshed = await post(d.url, '/auth/refresh', { refreshToken: pair.body.refreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    keep(refreshed.body.accessToken);
    keep(refreshed.body.refreshToken);
    assert.deepEqual(decodeJwt(refreshed.body.accessToken).amr, ['pwd', 'otp']);
    assert.equal(decodeJwt(refreshed.body.accessToken).auth_time, decodeJwt(pair.body.accessToken).auth_time);
    const reused = await verify(d.url, { mfaToken, code: codeAt(enrolled.secret, Date.now() + STEP_MS) });
    assert.equal(reused.status, 401);
    assert.equal(reused.body.error.code, 'invalid_token', 'an mfaToken is single use');
    const types = await eventTypes(d, pair.body.accessToken, ['mfa.enabled', 'login.mfa_required', 'mfa.failed', 'login.succeeded']);
    for (const type of ['mfa.enabled', 'login.mfa_required', 'mfa.failed']) assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
  });

  test('a replayed code is refused; a code one step ahead is accepted, three steps away is not', async () => {
    const d = get();
    await freshStep();
    const user = await registered(d.url);
    const { secret } = await enrol(d.url, user.access); // step S-1 used
    const now = keep(codeAt(secret, Date.now()));
    assert.equal((await verify(d.url, { mfaToken: await mfaRequired(d.url, user.email), code: now })).status, 200);
    const token = await mfaRequired(d.url, user.email);
    const replay = await verify(d.url, { mfaToken: token, code: now });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'invalid_code', 'the same code again');
    const farAhead = await verify(d.url, { mfaToken: token, code: keep(codeAt(secret, Date.now() + 3 * STEP_MS)) });
    assert.equal(farAhead.body.error.code, 'invalid_code', '+90 s: outside the drift');
    const farBehind = await verify(d.url, { mfaToken: token, code: keep(codeAt(secret, Date.now() - 3 * STEP_MS)) });
    assert.equal(farBehind.body.error.code, 'invalid_code', '-90 s: outside the drift');
    const ahead = await verify(d.url, { mfaToken: token, code: keep(codeAt(secret, Date.now() + STEP_MS)) });
    assert.equal(ahead.status, 200, `+30 s: within the drift (${JSON.stringify(ahead.body)})`);
    keep(ahead.body.accessToken);
    keep(ahead.body.refreshToken);
  });

  test('a recovery code works once (case and dashes do not matter)', async () => {
    const d = get();
    const user = await registered(d.url);
    const { recoveryCodes } = await enrol(d.url, user.access);
    const first = await verify(d.url, { mfaToken: await mfaRequired(d.url, user.email), recoveryCode: recoveryCodes[3]! });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    keep(first.body.accessToken);
    keep(first.body.refreshToken);
    const token = await mfaRequired(d.url, user.email);
    const second = await verify(d.url, { mfaToken: token, recoveryCode: recoveryCodes[3]! });
    assert.equal(second.status, 401);
    assert.equal(second.body.error.code, 'invalid_code');
    const other = await verify(d.url, { mfaToken: token, recoveryCode: recoveryCodes[4]!.toUpperCase().replaceAll('-', '') });
    assert.equal(other.status, 200, JSON.stringify(other.body));
    keep(other.body.accessToken);
    keep(other.body.refreshToken);
    const both = await verify(d.url, { mfaToken: token, code: '123456', recoveryCode: recoveryCodes[5]! });
    assert.equal(both.status, 400);
    assert.equal(both.body.error.code, 'invalid_request');
  });

  test('five wrong codes kill the mfaToken: the right code then gets invalid_token; a new login works', async () => {
    const d = get();
    await freshStep();
    const user = await registered(d.url);
    const { secret } = await enrol(d.url, user.access);
    const token = await mfaRequired(d.url, user.email);
    const wrong = keep(codeAt(secret, Date.now() + 20 * STEP_MS));
    for (let i = 1; i <= 5; i++) {
      const answer = await verify(d.url, { mfaToken: token, code: wrong });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error.code, 'invalid_code', `wrong code ${i}`);
    }
    const right = keep(codeAt(secret, Date.now()));
    const dead = await verify(d.url, { mfaToken: token, code: right });
    assert.equal(dead.status, 401);
    assert.equal(dead.body.error.code, 'invalid_token');
    const fresh = await verify(d.url, { mfaToken: await mfaRequired(d.url, user.email), code: right });
    assert.equal(fresh.status, 200, 'the token died, not the code');
    keep(fresh.body.accessToken);
    keep(fresh.body.refreshToken);
  });

  test('disable takes the password and a code (a recovery code will do); afterwards login needs no code', async () => {
    const d = get();
    const user = await registered(d.url);
    const { recoveryCodes } = await enrol(d.url, user.access);
    const disable = (body: Record<string, string>) => call(d.url, 'POST', '/auth/mfa/totp/disable', { headers: bearer(user.access), body });
    const badPassword = await disable({ password: 'not the password', code: recoveryCodes[0]! });
    assert.equal(badPassword.status, 401);
    assert.equal(badPassword.body.error.code, 'invalid_credentials');
    const badCode = await disable({ password: PASSWORD, code: 'aaaa-bbbb-cccc-dddd' });
    assert.equal(badCode.body.error.code, 'invalid_code');
    assert.equal((await disable({ password: PASSWORD, code: recoveryCodes[0]! })).status, 204);
    assert.equal((await me(d, user.access)).mfaEnabled, false);
    const login = await post(d.url, '/auth/login', { email: user.email, password: PASSWORD });
    assert.equal(login.status, 200);
    keep(login.body.accessToken);
    keep(login.body.refreshToken);
    const off = await disable({ password: PASSWORD, code: recoveryCodes[1]! });
    assert.equal(off.status, 404);
    const noToken = await call(d.url, 'POST', '/auth/mfa/totp/setup', { body: { password: PASSWORD } });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.error.code, 'invalid_token');
    assert.ok((await eventTypes(d, user.access, ['mfa.disabled'])).includes('mfa.disabled'));
  });

  test('over WebSocket: setup and confirm (another socket hears mfa.enabled), login → mfa_required, mfa_verify authenticates the socket, disable', async () => {
    const d = get();
    await freshStep();
    const owner = await LiveSocket.open(d.wsUrl);
    const watcher = await LiveSocket.open(d.wsUrl);
    const fresh = await LiveSocket.open(d.wsUrl);
    try {
      const email = newEmail('mfa-ws');
      assert.equal((await owner.request('register', { email, password: PASSWORD })).status, 201);
      const login = await owner.request('login', { email, password: PASSWORD });
      assert.equal(login.status, 200);
      keep(login.data.accessToken);
      keep(login.data.refreshToken);
      assert.equal((await watcher.request('authenticate', { accessToken: login.data.accessToken })).status, 200);
      const setup = await owner.request('mfa_totp_setup', { password: PASSWORD });
      assert.equal(setup.status, 200, JSON.stringify(setup));
      const secret = keep(setup.data.secret as string);
      const confirm = await owner.request('mfa_totp_confirm', { code: keep(codeAt(secret, Date.now() - STEP_MS)) });
      assert.equal(confirm.status, 200, JSON.stringify(confirm));
      for (const rc of confirm.data.recoveryCodes) keep(rc);
      const event = await watcher.waitForEvent('mfa.enabled');
      assert.equal(event.data.method, 'totp');

      const challenged = await fresh.request('login', { email, password: PASSWORD });
      assert.equal(challenged.ok, false);
      assert.equal(challenged.status, 403);
      assert.equal(challenged.error.code, 'mfa_required');
      const mfaToken = keep(challenged.error.mfaToken as string);
      assert.equal((await fresh.request('sessions_list')).status, 401, 'mfa_required does not authenticate the socket');
      const wrong = await fresh.request('mfa_verify', { mfaToken, code: keep(codeAt(secret, Date.now() + 10 * STEP_MS)) });
      assert.equal(wrong.error.code, 'invalid_code');
      const verified = await fresh.request('mfa_verify', { mfaToken, code: keep(codeAt(secret, Date.now())) });
      assert.equal(verified.status, 200, JSON.stringify(verified));
      keep(verified.data.accessToken);
      keep(verified.data.refreshToken);
      const sessions = await fresh.request('sessions_list');
      assert.equal(sessions.status, 200, 'mfa_verify authenticated the socket');
      assert.ok(sessions.data.some((s: { id: string; current: boolean }) => s.current && s.id === verified.data.sessionId));

      const disabled = await fresh.request('mfa_totp_disable', { password: PASSWORD, code: confirm.data.recoveryCodes[9] });
      assert.equal(disabled.status, 204, JSON.stringify(disabled));
      assert.equal((await owner.request('login', { email, password: PASSWORD })).status, 200);
    } finally {
      owner.close();
      watcher.close();
      fresh.close();
    }
  });

  test('deferred: mfa_verify with X-Connection-Id answers 202 and pushes the token pair to the socket', async () => {
    const d = get();
    await freshStep();
    const user = await registered(d.url);
    const { secret } = await enrol(d.url, user.access);
    const socket = await LiveSocket.open(d.wsUrl);
    try {
      const mfaToken = await mfaRequired(d.url, user.email);
      const accepted = await post(d.url, '/auth/mfa/verify', { mfaToken, code: keep(codeAt(secret, Date.now())) }, { 'x-connection-id': socket.connectionId });
      assert.equal(accepted.status, 202);
      // Pushed to the socket and kept 60 s for collection by the same connection.
      const until = Date.now() + 10_000;
      let kept = await call(d.url, 'GET', `/auth/results/${accepted.body.requestId}`, { headers: { 'x-connection-id': socket.connectionId } });
      while (kept.status === 404 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        kept = await call(d.url, 'GET', `/auth/results/${accepted.body.requestId}`, { headers: { 'x-connection-id': socket.connectionId } });
      }
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      assert.equal(kept.body.ok, true, JSON.stringify(kept.body));
      assert.equal(kept.body.data.tokenType, 'Bearer');
      keep(kept.body.data.accessToken);
      keep(kept.body.data.refreshToken);
    } finally {
      socket.close();
    }
  });

  test('limits on codes: wrong codes per account (and per address) answer 429 past MFA_*_MAX_FAILURES; the arithmetic holds', async () => {
    const d = get();
    await freshStep();
    if (d.limits.account <= 20) {
      // Per account: its limit in wrong codes, across mfaTokens, then even the right code waits.
      const user = await registered(d.url);
      const { secret } = await enrol(d.url, user.access);
      const wrong = keep(codeAt(secret, Date.now() + 20 * STEP_MS));
      let token = '';
      for (let failures = 0; failures < d.limits.account; failures++) {
        if (failures % 5 === 0) token = await mfaRequired(d.url, user.email);
        const answer = await verify(d.url, { mfaToken: token, code: wrong });
        assert.equal(answer.body.error.code, 'invalid_code', `wrong code ${failures + 1}`);
      }
      const limited = await verify(d.url, { mfaToken: await mfaRequired(d.url, user.email), code: keep(codeAt(secret, Date.now())) });
      assert.equal(limited.status, 429, JSON.stringify(limited.body));
      assert.equal(limited.body.error.code, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
    }
    if (d.limits.ip <= 30) {
      // Per address: wrong codes spread over fresh accounts, each far under its own limit, until the address is refused.
      // The accounts are enrolled first: a confirm counts against the address too.
      const accounts = [];
      for (let n = 0; n < Math.ceil(d.limits.ip / 2) + 1; n++) {
        const user = await registered(d.url);
        accounts.push({ ...user, ...(await enrol(d.url, user.access)) });
      }
      let refusedAt: number | undefined;
      let wrongCodes = 0;
      for (const account of accounts) {
        const token = await mfaRequired(d.url, account.email);
        for (let i = 0; i < 2 && refusedAt === undefined; i++) {
          const answer = await verify(d.url, { mfaToken: token, code: keep(codeAt(account.secret, Date.now() + 20 * STEP_MS)) });
          if (answer.status === 429) refusedAt = wrongCodes;
          else {
            assert.equal(answer.body.error.code, 'invalid_code');
            wrongCodes++;
          }
        }
        if (refusedAt !== undefined) break;
      }
      assert.ok(refusedAt !== undefined && refusedAt <= d.limits.ip, `the address was refused after ${refusedAt} wrong codes (limit ${d.limits.ip})`);
    }
    // The arithmetic of docs/second-factor.md: ±1 step accepts 3 of the 10^6 codes.
    const pCode = 3 / 1e6;
    const pToken = 1 - (1 - pCode) ** 5;
    assert.ok(pToken < 1.6e-5, `one mfaToken: ${pToken}`);
    const pDay = 1 - (1 - pCode) ** (d.limits.account * 24);
    if (d.limits.account <= 20) assert.ok(pDay < 1.5e-3, `one account, one day at the limit: ${pDay}`);
  });

  // Only where the stores are outside the process (the all-in-one's are in its memory and PGlite).
  if (options.readsStores)
    test('no TOTP secret, code, recovery code or token in clear in Redis or the database', async () => {
      const d = get();
      assert.ok(d.storedValues, 'the deployment names its stores');
      const values = await d.storedValues();
      assert.ok(
        values.some((v) => v.startsWith('v1.')),
        'the sealed TOTP secrets were read',
      );
      assert.deepEqual(leaksIn(values), []);
    });

  test('no secret, code, recovery code or token in any log line of the processes', () => {
    const d = get();
    const lines = d.logLines();
    assert.ok(lines.length > 50, `the processes logged (${lines.length} lines)`);
    assert.ok(secrets.size > 40, `the flows handed out secrets to look for (${secrets.size})`);
    assert.deepEqual(leaksIn(lines.map((line) => JSON.stringify(line))), []);
  });
}
