import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { call, post } from './http.ts';
import { LiveSocket } from './live-socket.ts';
import { isNewSignInMail, isPasswordChangedMail, isRefreshReuseMail, isResetMail, isVerifyMail, linkToken, type Mailbox } from './mailbox.ts';
import { newEmail, PASSWORD } from './users.ts';

/** A deployment with its mails: the edge, where /auth/me and /auth/events are served, and PUBLIC_URL. */
export interface EmailDeployment {
  url: string;
  wsUrl: string;
  apiUrl: string;
  mailbox: Mailbox;
  /** PUBLIC_URL of the deployment: every link in a mail starts with it (never with the edge's own address). */
  publicUrl: string;
  /** EMAIL_RESEND_PER_HOUR of the deployment. */
  resendPerHour: number;
  /** SECURITY_NOTICE_MAILS_PER_HOUR of the deployment. */
  noticesPerHour: number;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const NEW_PASSWORD = 'a brand new staple battery';
type Pair = { accessToken: string; refreshToken: string; sessionId: string; user: { id: string } };

async function register(d: EmailDeployment, label: string) {
  const email = newEmail(label);
  const registered = await post(d.url, '/auth/register', { email, password: PASSWORD });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return { email, userId: registered.body.userId as string };
}

async function login(d: EmailDeployment, email: string, password = PASSWORD): Promise<Pair> {
  const answer = await post(d.url, '/auth/login', { email, password, deviceId: 'laptop' });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as Pair;
}

async function verifyToken(d: EmailDeployment, email: string): Promise<string> {
  return linkToken(await d.mailbox.take(email, isVerifyMail), d.publicUrl, 'verify-email');
}

/** A registered account whose address is verified. */
async function verifiedAccount(d: EmailDeployment, label: string) {
  const account = await register(d, label);
  assert.equal((await post(d.url, '/auth/email/verify', { token: await verifyToken(d, account.email) })).status, 204);
  return account;
}

/** The account's own audit trail (GET /auth/events), once it holds every type in `types`. */
async function trailWith(d: EmailDeployment, accessToken: string, types: string[]): Promise<Array<{ type: string }>> {
  const until = Date.now() + 10_000;
  for (;;) {
    const answer = await call(d.apiUrl, 'GET', '/auth/events?limit=100', { headers: bearer(accessToken) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const events = answer.body.events as Array<{ type: string }>;
    if (types.every((type) => events.some((e) => e.type === type))) return events;
    if (Date.now() > until) assert.fail(`the trail lacks some of ${types.join(', ')}: ${events.map((e) => e.type).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The email and password scenarios every deployment shape passes (REQUIRE_VERIFIED_EMAIL off). */
export function emailScenarios(get: () => EmailDeployment): void {
  test('register → verification mail (link from PUBLIC_URL) → verify → /auth/me emailVerified; the token works once', async () => {
    const d = get();
    const { email, userId } = await register(d, 'verify');
    const mail = await d.mailbox.take(email, isVerifyMail);
    const token = linkToken(mail, d.publicUrl, 'verify-email');
    assert.ok(token.length >= 43, 'at least 256 bits, base64url');
    assert.ok(!(mail.text ?? '').includes(d.url), 'no link to the address the request came to');

    const pair = await login(d, email);
    const before = await call(d.apiUrl, 'GET', '/auth/me', { headers: bearer(pair.accessToken) });
    assert.equal(before.status, 200);
    assert.deepEqual({ emailVerified: before.body.emailVerified, mfaEnabled: before.body.mfaEnabled }, { emailVerified: false, mfaEnabled: false });

    assert.equal((await post(d.url, '/auth/email/verify', { token: `${token.slice(0, -2)}AA` })).status, 401, 'another token');
    const verified = await post(d.url, '/auth/email/verify', { token });
    assert.equal(verified.status, 204, JSON.stringify(verified.body));
    const again = await post(d.url, '/auth/email/verify', { token });
    assert.equal(again.status, 401, 'single use');
    assert.equal(again.body.error.code, 'invalid_token');
    assert.equal(again.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    assert.equal((await post(d.url, '/auth/email/verify', { token: 'short' })).body.error.code, 'invalid_token', 'a malformed token is invalid_token');

    const after = await call(d.apiUrl, 'GET', '/auth/me', { headers: bearer(pair.accessToken) });
    assert.equal(after.body.emailVerified, true);
    assert.equal(after.body.id, userId);
    const trail = await trailWith(d, pair.accessToken, ['register', 'email.verified']);
    assert.ok(!JSON.stringify(trail).includes(token), 'no token in any event');
  });

  test('WebSocket: register, email_verify and email_resend as messages', async () => {
    const d = get();
    const socket = await LiveSocket.open(d.wsUrl);
    const email = newEmail('ws-verify');
    const registered = await socket.request('register', { email, password: PASSWORD });
    assert.equal(registered.status, 201, JSON.stringify(registered));
    const first = await verifyToken(d, email);
    const loggedIn = await socket.request('login', { email, password: PASSWORD });
    assert.equal(loggedIn.status, 200);
    const resent = await socket.request('email_resend');
    assert.deepEqual({ ok: resent.ok, status: resent.status }, { ok: true, status: 202 });
    const second = await verifyToken(d, email);
    assert.notEqual(second, first);
    const verified = await socket.request('email_verify', { token: second });
    assert.deepEqual({ ok: verified.ok, status: verified.status }, { ok: true, status: 204 });
    // The address is proven: the earlier link of the same account is spent with it.
    const spent = await socket.request('email_verify', { token: first });
    assert.equal(spent.error.code, 'invalid_token');
    socket.close();
  });

  test('resend: 202 and a new mail within EMAIL_RESEND_PER_HOUR, then 429 with Retry-After (REST and WebSocket)', async () => {
    const d = get();
    const { email } = await register(d, 'resend');
    await verifyToken(d, email); // the registration's own mail is not counted
    const pair = await login(d, email);
    for (let i = 0; i < d.resendPerHour; i++) {
      const resent = await post(d.url, '/auth/email/resend', {}, bearer(pair.accessToken));
      assert.equal(resent.status, 202, JSON.stringify(resent.body));
      await verifyToken(d, email);
    }
    const refused = await post(d.url, '/auth/email/resend', {}, bearer(pair.accessToken));
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter > 60 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
    assert.equal(refused.body.error.retryAfter, retryAfter);
    const socket = await LiveSocket.open(d.wsUrl);
    assert.equal((await socket.request('authenticate', { accessToken: pair.accessToken })).status, 200);
    assert.equal((await socket.request('email_resend')).error.code, 'rate_limited');
    socket.close();
    assert.equal((await post(d.url, '/auth/email/resend', {})).status, 401, 'Bearer only');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(d.mailbox.to(email).length, 1 + d.resendPerHour, 'no mail past the allowance');
  });

  test('forgot → reset mail → reset: every old session ends live (4001), the new password works, the old does not', async () => {
    const d = get();
    const { email } = await verifiedAccount(d, 'reset');
    const socket = await LiveSocket.open(d.wsUrl);
    const overSocket = await socket.request('login', { email, password: PASSWORD, deviceId: 'phone' });
    assert.equal(overSocket.status, 200);
    const rest = await login(d, email);

    const forgot = await post(d.url, '/auth/password/forgot', { email: email.toUpperCase() });
    assert.equal(forgot.status, 202);
    assert.equal(forgot.body, undefined, 'no body');
    const token = linkToken(await d.mailbox.take(email, isResetMail), d.publicUrl, 'reset-password');

    const weak = await post(d.url, '/auth/password/reset', { token, password: 'password1' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.code, 'weak_password');
    const own = await post(d.url, '/auth/password/reset', { token, password: `${email.split('@')[0]}` });
    assert.equal(own.body.error.code, 'weak_password', 'the account name is refused as at registration');
    assert.equal((await post(d.url, '/auth/password/reset', { token: 'x'.repeat(43), password: NEW_PASSWORD })).status, 401);

    const sent = Date.now();
    const reset = await post(d.url, '/auth/password/reset', { token, password: NEW_PASSWORD });
    assert.equal(reset.status, 204, JSON.stringify(reset.body));
    const revoked = await socket.waitForEvent('session.revoked', 2_000, (data) => data.sessionId === overSocket.data.sessionId);
    assert.equal(revoked.data.reason, 'password_reset');
    const closed = await socket.closed;
    assert.equal(closed.code, 4001);
    assert.ok(closed.at - sent < 2_000);

    assert.equal((await post(d.url, '/auth/password/reset', { token, password: 'yet another fine passphrase' })).status, 401, 'single use');
    assert.equal((await post(d.url, '/auth/refresh', { refreshToken: rest.refreshToken })).status, 401, 'the REST session ended too');
    assert.equal((await call(d.url, 'GET', '/auth/verify', { headers: bearer(rest.accessToken) })).status, 401);
    assert.equal((await post(d.url, '/auth/login', { email, password: PASSWORD })).status, 401, 'the old password fails');
    const fresh = await login(d, email, NEW_PASSWORD);
    await d.mailbox.take(email, isPasswordChangedMail);
    const trail = await trailWith(d, fresh.accessToken, ['password.reset_requested', 'password.reset']);
    assert.ok(!JSON.stringify(trail).includes(token), 'no token in any event');
  });

  test('WebSocket: password_forgot answers 202 at once, alike for an unknown address; password_reset as a message', async () => {
    const d = get();
    const { email } = await verifiedAccount(d, 'ws-reset');
    const socket = await LiveSocket.open(d.wsUrl);
    const known = await socket.request('password_forgot', { email });
    const unknown = await socket.request('password_forgot', { email: newEmail('nobody') });
    assert.deepEqual({ ...known, id: undefined }, { ...unknown, id: undefined });
    assert.deepEqual({ ok: known.ok, status: known.status, data: known.data }, { ok: true, status: 202, data: undefined });
    const token = linkToken(await d.mailbox.take(email, isResetMail), d.publicUrl, 'reset-password');
    const reset = await socket.request('password_reset', { token, password: NEW_PASSWORD });
    assert.deepEqual({ ok: reset.ok, status: reset.status }, { ok: true, status: 204 });
    assert.equal((await socket.request('login', { email, password: NEW_PASSWORD })).status, 200);
    socket.close();
  });

  test('change password: wrong current is 401; then every other session ends, this one stays and hears password.changed; a notice is mailed', async () => {
    const d = get();
    const { email } = await verifiedAccount(d, 'change');
    const current = await LiveSocket.open(d.wsUrl);
    const mine = await current.request('login', { email, password: PASSWORD, deviceId: 'desk' });
    assert.equal(mine.status, 200);
    const other = await LiveSocket.open(d.wsUrl);
    const theirs = await other.request('login', { email, password: PASSWORD, deviceId: 'phone' });
    assert.equal(theirs.status, 200);

    const wrong = await post(d.url, '/auth/password/change', { currentPassword: 'not the password', newPassword: NEW_PASSWORD }, bearer(mine.data.accessToken));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'invalid_credentials');
    const weak = await post(d.url, '/auth/password/change', { currentPassword: PASSWORD, newPassword: 'qwertyuiop' }, bearer(mine.data.accessToken));
    assert.equal(weak.body.error.code, 'weak_password');
    assert.equal((await post(d.url, '/auth/password/change', { currentPassword: PASSWORD })).status, 401, 'Bearer first');

    const changed = await post(d.url, '/auth/password/change', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, bearer(mine.data.accessToken));
    assert.equal(changed.status, 204, JSON.stringify(changed.body));
    await other.waitForEvent('session.revoked', 2_000, (data) => data.sessionId === theirs.data.sessionId && data.reason === 'password_changed');
    assert.equal((await other.closed).code, 4001);
    const heard = await current.waitForEvent('password.changed', 2_000);
    assert.equal(heard.data.sessionId, mine.data.sessionId);
    assert.equal((await call(d.url, 'GET', '/auth/verify', { headers: bearer(mine.data.accessToken) })).status, 200, 'this session stays');
    assert.equal((await call(d.url, 'GET', '/auth/verify', { headers: bearer(theirs.data.accessToken) })).status, 401);
    const notice = await d.mailbox.take(email, isPasswordChangedMail);
    assert.ok((notice.text ?? '').includes(`${d.publicUrl}/account/security`));

    // Over the socket, back again with the message.
    const back = await current.request('password_change', { currentPassword: NEW_PASSWORD, newPassword: PASSWORD });
    assert.deepEqual({ ok: back.ok, status: back.status }, { ok: true, status: 204 });
    assert.equal((await post(d.url, '/auth/login', { email, password: NEW_PASSWORD })).status, 401);
    const again = await login(d, email, PASSWORD);
    await trailWith(d, again.accessToken, ['password.changed']);
    current.close();
  });

  test('forgot for a known and an unknown address: the same status, headers and body, and the same time', { timeout: 300_000 }, async () => {
    const d = get();
    const { email } = await verifiedAccount(d, 'timing');
    const SAMPLES = 300;
    const known: number[] = [];
    const unknown: number[] = [];
    const answers = new Set<string>();
    const timed = async (address: string) => {
      const started = performance.now();
      const answer = await post(d.url, '/auth/password/forgot', { email: address });
      const ms = performance.now() - started;
      const headers = [...answer.headers.entries()].filter(([name]) => name !== 'date').sort();
      answers.add(JSON.stringify({ status: answer.status, body: answer.body ?? null, headers }));
      return ms;
    };
    for (let i = 0; i < 20; i++) await timed(i % 2 ? email : newEmail('warm')); // warm-up, not counted
    // The two kinds in a shuffled order: whatever work a known address starts after its answer (a
    // token, a mail) falls on whichever request comes next, of either kind alike.
    const order = [...Array<boolean>(SAMPLES).fill(true), ...Array<boolean>(SAMPLES).fill(false)];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const isKnown of order) {
      if (isKnown) known.push(await timed(email));
      else unknown.push(await timed(newEmail('nobody')));
    }
    assert.equal(answers.size, 1, `every answer alike: ${[...answers].join(' | ')}`);
    const t = compareSamples(known, unknown);
    console.log(
      `forgot timing over ${SAMPLES} samples each: median known ${t.medianA.toFixed(2)} ms, unknown ${t.medianB.toFixed(2)} ms ` +
        `(difference ${(t.medianA - t.medianB).toFixed(2)} ms, its standard error ${t.seDiff.toFixed(2)} ms); ` +
        `Kolmogorov-Smirnov D ${t.ks.toFixed(3)} (critical ${t.ksCritical.toFixed(3)}); Mann-Whitney z ${t.mannWhitneyZ.toFixed(2)}`,
    );
    // Three checks, each with a false alarm rate near 1 in 1000 however loaded the machine is (the
    // samples of both kinds are interleaved, so load falls on both alike): the medians agree within
    // four standard errors of their difference (or 1 ms); the distributions pass a two-sample
    // Kolmogorov-Smirnov test and a Mann-Whitney U test at alpha = 0.001. Were the answer the worker's,
    // a known address would add a database insert and a confirmed mail publish to every sample.
    assert.ok(Math.abs(t.medianA - t.medianB) <= Math.max(1, 4 * t.seDiff), 'medians apart');
    assert.ok(t.ks < t.ksCritical, 'distributions apart (Kolmogorov-Smirnov)');
    assert.ok(Math.abs(t.mannWhitneyZ) < 3.29, 'one kind faster (Mann-Whitney)');
    // The known address got its mails (the worker did its part after the answers).
    await d.mailbox.take(email, isResetMail);
  });

  test('a sign-in from a new device mails a new_sign_in notice (where from, the security link); the first sign-in and known devices do not; capped per hour', async () => {
    const d = get();
    const { email } = await register(d, 'new-sign-in');
    const signIn = async (deviceId: string) => {
      const answer = await post(d.url, '/auth/login', { email, password: PASSWORD, deviceId }, { 'user-agent': `${deviceId}-agent/1.0` });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };
    await signIn('laptop'); // the account's first sign-in: no news to its owner
    await signIn('laptop');
    const fresh = ['phone', 'tablet', 'watch', 'car'].slice(0, d.noticesPerHour + 1);
    for (const deviceId of fresh) {
      await signIn(deviceId);
      await signIn(deviceId); // known from now on
    }
    const notices = [];
    for (let i = 0; i < d.noticesPerHour; i++) {
      const notice = await d.mailbox.take(email, isNewSignInMail);
      assert.match(notice.text ?? '', /^IP address: 127\.0\.0\.1$/m);
      assert.ok((notice.text ?? '').includes(`${d.publicUrl}/account/security`), 'the link to the sessions');
      notices.push(notice);
    }
    // The mails may arrive in any order (an outbox file is named by the second it was made in).
    const devices = notices.map((notice) => /^Device: (\S+)-agent\/1\.0$/m.exec(notice.text ?? '')?.[1]).sort();
    assert.deepEqual(devices, fresh.slice(0, d.noticesPerHour).sort(), 'the first new devices, each once');
    // Past the allowance nothing more comes: a mail queued after the last sign-in arrives, and no notice with it.
    assert.equal((await post(d.url, '/auth/password/forgot', { email })).status, 202);
    await d.mailbox.take(email, isResetMail);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      d.mailbox.to(email).filter(isNewSignInMail),
      notices,
      `${d.noticesPerHour} notices, none for the first sign-in, a known device, or past the allowance`,
    );
  });

  test('a refresh token used twice mails a refresh_reuse notice (where from, the security link); capped per hour', async () => {
    const d = get();
    const { email } = await register(d, 'reuse');
    const refresh = (refreshToken: string) => post(d.url, '/auth/refresh', { refreshToken, deviceId: 'laptop' }, { 'user-agent': 'thief-agent/2.0' });
    for (let i = 0; i <= d.noticesPerHour; i++) {
      const first = await login(d, email);
      const second = await refresh(first.refreshToken);
      assert.equal(second.status, 200, JSON.stringify(second.body));
      // The successor is used: the first token coming back now is a copy in someone else's hands.
      assert.equal((await refresh(second.body.refreshToken)).status, 200);
      const replayed = await refresh(first.refreshToken);
      assert.equal(replayed.status, 401, JSON.stringify(replayed.body));
    }
    const notices = [];
    for (let i = 0; i < d.noticesPerHour; i++) {
      const notice = await d.mailbox.take(email, isRefreshReuseMail);
      assert.match(notice.text ?? '', /^Device: thief-agent\/2\.0$/m);
      assert.ok((notice.text ?? '').includes(`${d.publicUrl}/account/security`), 'the link to the sessions');
      assert.ok(!/rt1\./.test(`${notice.text}${notice.html}`), 'no refresh token in the mail');
      notices.push(notice);
    }
    assert.equal((await post(d.url, '/auth/password/forgot', { email })).status, 202);
    await d.mailbox.take(email, isResetMail);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(d.mailbox.to(email).filter(isRefreshReuseMail), notices, `${d.noticesPerHour} notices, none past the allowance`);
  });
}

/** REQUIRE_VERIFIED_EMAIL=on: an unverified account does not sign in, and is mailed a fresh link. */
export function requireVerifiedScenarios(get: () => EmailDeployment): void {
  test('REQUIRE_VERIFIED_EMAIL on: login of an unverified account answers email_not_verified after the right password only, with a new link', async () => {
    const d = get();
    const { email } = await register(d, 'gate');
    const first = await verifyToken(d, email);
    const wrong = await post(d.url, '/auth/login', { email, password: 'not the password' });
    assert.equal(wrong.status, 401, 'a wrong password learns nothing of the address');
    assert.equal(wrong.body.error.code, 'invalid_credentials');
    const refused = await post(d.url, '/auth/login', { email, password: PASSWORD });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'email_not_verified');
    assert.match(refused.body.error.message, /not verified/);
    const socket = await LiveSocket.open(d.wsUrl);
    const overSocket = await socket.request('login', { email, password: PASSWORD });
    assert.equal(overSocket.error.code, 'email_not_verified');
    const fresh = await verifyToken(d, email);
    assert.notEqual(fresh, first);
    assert.equal((await post(d.url, '/auth/email/verify', { token: fresh })).status, 204);
    const pair = await login(d, email);
    assert.equal((await call(d.apiUrl, 'GET', '/auth/me', { headers: bearer(pair.accessToken) })).body.emailVerified, true);
    socket.close();
  });

  test('REQUIRE_VERIFIED_EMAIL on: a password reset proves the mailbox, so the account then signs in', async () => {
    const d = get();
    const { email } = await register(d, 'gate-reset');
    assert.equal((await post(d.url, '/auth/password/forgot', { email })).status, 202);
    const token = linkToken(await d.mailbox.take(email, isResetMail), d.publicUrl, 'reset-password');
    assert.equal((await post(d.url, '/auth/password/reset', { token, password: NEW_PASSWORD })).status, 204);
    await login(d, email, NEW_PASSWORD);
  });
}

const Z_975 = 1.96;

/** A sample's median and its standard error (McKean-Schrader, from order statistics: no normality assumed). */
function medianWithError(values: number[]): { median: number; se: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const n = sorted.length;
  const mid = n >> 1;
  const median = n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const c = Math.max(1, Math.round((n + 1) / 2 - Z_975 * Math.sqrt(n / 4)));
  return { median, se: (sorted[n - c]! - sorted[c - 1]!) / (2 * Z_975) };
}

/**
 * Two timing samples compared: medians with the standard error of their difference, the two-sample
 * Kolmogorov-Smirnov statistic with its critical value at alpha = 0.001, and the Mann-Whitney U
 * statistic as a z score (normal approximation, ties given half ranks).
 */
export function compareSamples(a: number[], b: number[]) {
  const ma = medianWithError(a);
  const mb = medianWithError(b);
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let ks = 0;
  while (i < sa.length && j < sb.length) {
    const x = Math.min(sa[i]!, sb[j]!);
    while (i < sa.length && sa[i]! <= x) i++;
    while (j < sb.length && sb[j]! <= x) j++;
    ks = Math.max(ks, Math.abs(i / sa.length - j / sb.length));
  }
  let u = 0;
  for (const x of a) for (const y of b) u += x > y ? 1 : x === y ? 0.5 : 0;
  const n1 = a.length;
  const n2 = b.length;
  return {
    medianA: ma.median,
    medianB: mb.median,
    seDiff: Math.hypot(ma.se, mb.se),
    ks,
    ksCritical: 1.949 * Math.sqrt((n1 + n2) / (n1 * n2)),
    mannWhitneyZ: (u - (n1 * n2) / 2) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12),
  };
}
