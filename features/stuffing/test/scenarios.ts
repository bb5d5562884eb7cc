import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import WebSocket from 'ws';
import { type ChallengeProgress, createClient } from '@authgate/client';
import { call, post } from '../../../test/helpers/http.ts';
import { LiveSocket } from '../../../test/helpers/live-socket.ts';
import { newEmail, PASSWORD } from '../../../test/helpers/users.ts';
import { leadingZeroBits, solveChallenge } from '../challenge.ts';
import { loopbackAddress, postFrom } from './support/from-address.ts';
import type { RangeServer } from './support/range-server.ts';
import { StuffingWave } from './support/wave.ts';

interface Edge {
  url: string;
  wsUrl: string;
}

/** A deployment under test, started with the default detection settings and a short cooldown. */
export interface StuffingDeployment {
  /** Two edges (the same process in the all-in-one). */
  a: Edge;
  b: Edge;
  /** Where the admin routes are answered. */
  apiUrl: string;
  adminToken(): Promise<string>;
  /** STUFFING_DIFFICULTY and STUFFING_COOLDOWN_S it runs with. */
  difficulty: number;
  cooldownS: number;
  /** The first loopback address index its waves may use (the two shapes use ranges apart). */
  firstAddress: number;
  logLines(): string[];
  /** The range API its workers ask (PASSWORD_BREACH_RANGE_URL), which lists BREACHED_PASSWORD. */
  range: RangeServer;
  /** GET /metrics of each process that runs a worker. */
  workerMetrics: string[];
}

/** The one password the test range API lists as breached. */
export const BREACHED_PASSWORD = 'breached but long enough 123';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Polls until `check` holds, or fails after `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>, everyMs = 100): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(everyMs);
  }
}

/**
 * The scenarios, in order (the defence is the deployment's one state): before a wave nothing is
 * challenged; a wave of 25 failed logins a second, each from its own address, real and unknown emails,
 * is detected within 5 seconds; while it lasts, owners on their known devices sign in unchallenged
 * over REST and WebSocket and everyone else solves a proof of work; the state ends after the wave.
 */
export function stuffingScenarios(deployment: () => StuffingDeployment): void {
  let d: StuffingDeployment;
  const owner = { email: newEmail('stuffing-owner'), deviceId: `owner-device-${Date.now()}` };
  const newcomer = { email: newEmail('stuffing-newcomer') };
  let ownerRefreshToken = '';
  let wave: StuffingWave;
  let address = 0;
  const nextAddress = () => loopbackAddress(d.firstAddress + 50_000 + address++);

  test('setup: the owner has signed in from their device before the wave; nothing is challenged while it is calm', async () => {
    d = deployment();
    for (const account of [owner, newcomer]) {
      const registered = await post(d.a.url, '/auth/register', { email: account.email, password: PASSWORD });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
    }
    const first = await post(d.a.url, '/auth/login', { email: owner.email, password: PASSWORD, deviceId: owner.deviceId });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const calm = await postFrom(d.b.url, '/auth/login', { email: newEmail('nobody'), password: 'wrong password here' }, nextAddress());
    assert.equal(calm.status, 401, 'a failed login while calm is an ordinary invalid_credentials');
  });

  test('a wave of 25 failed logins a second from one address each (real and unknown emails) is detected within 5 seconds', async () => {
    wave = new StuffingWave([d.a.url, d.b.url], {
      ratePerS: 25,
      emails: (i) => (i % 2 === 0 ? owner.email : `leaked-${i}@example.test`),
      firstAddress: d.firstAddress,
      maxSeconds: 60,
    });
    wave.start();
    // Detected means every edge challenges: each reads the state once a second, so they may differ by
    // up to a second; probes on each edge (wrong passwords, fresh addresses: part of the wave).
    const challenges = async (edge: Edge) =>
      (await postFrom(edge.url, '/auth/login', { email: newEmail('probe'), password: 'wrong password here' }, nextAddress())).body?.error?.code ===
      'challenge_required';
    const detectedMs = await until('a challenge_required on both edges', 10_000, async () => (await challenges(d.a)) && (await challenges(d.b)), 250);
    assert.ok(detectedMs <= 5_000, `detected after ${detectedMs} ms`);
  });

  test('during the wave: the owner on their known device signs in unchallenged, over REST and over WebSocket, on either edge', async () => {
    for (const edge of [d.a, d.b]) {
      const answer = await postFrom(edge.url, '/auth/login', { email: owner.email, password: PASSWORD, deviceId: owner.deviceId }, nextAddress());
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      ownerRefreshToken = answer.body.refreshToken;
    }
    const socket = await LiveSocket.open(d.b.wsUrl);
    try {
      const result = await socket.request('login', { email: owner.email, password: PASSWORD, deviceId: owner.deviceId });
      assert.equal(result.ok, true, JSON.stringify(result));
    } finally {
      socket.close();
    }
  });

  test('during the wave: refreshes are never challenged', async () => {
    const refreshed = await post(d.a.url, '/auth/refresh', { refreshToken: ownerRefreshToken, deviceId: owner.deviceId });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  });

  test('during the wave: an unknown device, an unknown email and no deviceId all get the same challenge_required, with everything to solve it', async () => {
    const answers = await Promise.all([
      postFrom(d.a.url, '/auth/login', { email: owner.email, password: PASSWORD, deviceId: 'a-new-device' }, nextAddress()),
      postFrom(d.a.url, '/auth/login', { email: newEmail('ghost'), password: PASSWORD, deviceId: 'a-new-device' }, nextAddress()),
      postFrom(d.b.url, '/auth/login', { email: owner.email, password: PASSWORD }, nextAddress()),
    ]);
    for (const answer of answers) {
      assert.equal(
        answer.status,
        403,
        `${JSON.stringify(answer.body)}\n${d
          .logLines()
          .filter((l) => /stuffing/.test(l))
          .join('\n')}`,
      );
      const { error } = answer.body;
      assert.equal(error.code, 'challenge_required');
      assert.deepEqual(Object.keys(error).sort(), ['challenge', 'code', 'message', 'requestId'], 'no field tells whether the email exists');
      assert.equal(error.challenge.algorithm, 'sha256');
      assert.equal(typeof error.challenge.salt, 'string');
      assert.ok(error.challenge.difficulty >= d.difficulty, `difficulty ${error.challenge.difficulty}`);
      assert.ok(error.challenge.expiresAt > Date.now());
      assert.match(error.message, /SHA-256\(salt \+ nonce\)/, 'the message says how to solve it');
    }
    assert.equal(answers[0]!.body.error.message, answers[1]!.body.error.message, 'a known and an unknown email read the same');
  });

  test('during the wave: a solved challenge lets a login through once, on any edge; reused, forged or unsolved it is asked again', async () => {
    const asked = await postFrom(d.a.url, '/auth/login', { email: newcomer.email, password: PASSWORD, deviceId: 'newcomer-laptop' }, nextAddress());
    assert.equal(asked.body.error.code, 'challenge_required');
    const { salt, difficulty } = asked.body.error.challenge;
    const nonce = solveChallenge(salt, difficulty);
    const solved = await postFrom(
      d.b.url,
      '/auth/login',
      { email: newcomer.email, password: PASSWORD, deviceId: 'newcomer-laptop', challenge: { salt, nonce } },
      nextAddress(),
    );
    assert.equal(solved.status, 200, `a solved challenge passes (made on one edge, answered on the other): ${JSON.stringify(solved.body)}`);
    const reused = await postFrom(d.a.url, '/auth/login', { email: newcomer.email, password: PASSWORD, challenge: { salt, nonce } }, nextAddress());
    assert.equal(reused.body.error.code, 'challenge_required', 'single use across edges');
    assert.match(reused.body.error.message, /used already/);
    const [v, , exp, random, mac] = salt.split('.');
    const easier = [v, '1', exp, random, mac].join('.');
    const forged = await postFrom(
      d.a.url,
      '/auth/login',
      { email: newcomer.email, password: PASSWORD, challenge: { salt: easier, nonce: solveChallenge(easier, 1) } },
      nextAddress(),
    );
    assert.equal(forged.body.error.code, 'challenge_required', 'a lowered difficulty breaks the mac');
    const fresh = (await postFrom(d.a.url, '/auth/login', { email: newcomer.email, password: PASSWORD }, nextAddress())).body.error.challenge;
    let wrong = 0;
    while (leadingZeroBits(createHash('sha256').update(`${fresh.salt}${wrong}`).digest()) >= fresh.difficulty) wrong++;
    const unsolved = await postFrom(
      d.a.url,
      '/auth/login',
      { email: newcomer.email, password: PASSWORD, challenge: { salt: fresh.salt, nonce: String(wrong) } },
      nextAddress(),
    );
    assert.equal(unsolved.body.error.code, 'challenge_required');
    const malformed = await postFrom(d.a.url, '/auth/login', { email: newcomer.email, password: PASSWORD, challenge: { salt: 7 } }, nextAddress());
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_request');
  });

  test('during the wave: over WebSocket the challenge is a result like any error, and a solved one passes', async () => {
    const socket = await LiveSocket.open(d.a.wsUrl);
    try {
      const asked = await socket.request('login', { email: newcomer.email, password: PASSWORD, deviceId: 'newcomer-laptop-2' });
      assert.equal(asked.ok, false);
      assert.equal(asked.status, 403);
      assert.equal(asked.error.code, 'challenge_required');
      const { salt, difficulty } = asked.error.challenge;
      const solved = await socket.request('login', {
        email: newcomer.email,
        password: PASSWORD,
        deviceId: 'newcomer-laptop-2',
        challenge: { salt, nonce: solveChallenge(salt, difficulty) },
      });
      // The newcomer signed in from another device before: this one waits for approval, past the gate.
      assert.equal(solved.error?.code ?? 'ok', 'device_verification_required', JSON.stringify(solved));
    } finally {
      socket.close();
    }
  });

  test('during the wave: the SDK solves the challenge by itself (inline in Node) and signs in, over WebSocket and REST, and says so', async () => {
    for (const transport of ['ws', 'rest'] as const) {
      const client = createClient({ baseUrl: d.a.url, transport, WebSocket: WebSocket as never, live: false, deviceId: `sdk-${transport}-${Date.now()}` });
      const progress: ChallengeProgress[] = [];
      client.on('challenge', (p) => progress.push(p));
      try {
        const email = newEmail(`stuffing-sdk-${transport}`);
        await client.register(email, PASSWORD);
        const outcome = await client.login(email, PASSWORD);
        assert.equal(outcome.kind, 'signed_in', JSON.stringify(outcome));
        assert.deepEqual(
          progress.map((p) => `${p.state}:${p.via}`),
          ['solving:inline', 'solved:inline'],
          `${transport}: the challenge event tells the page it is solving, then that it solved`,
        );
        assert.ok(progress[0]!.difficulty >= d.difficulty);
      } finally {
        await client.logout().catch(() => {});
        client.close();
      }
    }
  });

  test('the detection is an audit event, once for the deployment', async () => {
    const token = await d.adminToken();
    await until('a stuffing.detected event', 10_000, async () => {
      const page = await call(d.apiUrl, 'GET', '/admin/events?type=stuffing.detected', { headers: bearer(token) });
      return page.status === 200 && page.body.events.length > 0;
    });
    const page = await call(d.apiUrl, 'GET', '/admin/events?type=stuffing.detected', { headers: bearer(token) });
    assert.equal(page.body.events.length, 1, JSON.stringify(page.body.events));
    const [event] = page.body.events;
    assert.ok(event.data.rate >= 10 && event.data.sources >= 20 && event.data.difficulty >= d.difficulty, JSON.stringify(event.data));
  });

  test('after the wave the defence ends: logins are no longer challenged, and the end is an audit event', async () => {
    const stats = await wave.stop();
    assert.ok((stats.byStatus[403] ?? 0) > 0 && (stats.byStatus[0] ?? 0) === 0, JSON.stringify(stats));
    // One probe a second: a challenge issued counts as pressure too (bots turned away at the edge keep
    // the wave visible), so a probe as fast as the threshold would hold the defence on by itself.
    const endedMs = await until(
      'no challenge after the wave',
      (d.cooldownS + 15) * 1000,
      async () => {
        const answer = await postFrom(d.a.url, '/auth/login', { email: newEmail('after'), password: 'wrong password here' }, nextAddress());
        return answer.status === 401;
      },
      1_000,
    );
    assert.ok(endedMs >= (d.cooldownS - 1) * 1000, `ended after ${endedMs} ms: the cooldown holds it on`);
    const token = await d.adminToken();
    await until('a stuffing.ended event', 10_000, async () => {
      const page = await call(d.apiUrl, 'GET', '/admin/events?type=stuffing.ended', { headers: bearer(token) });
      return page.status === 200 && page.body.events.length === 1;
    });
  });

  test('no log line holds a challenge answer or a password', () => {
    const lines = d.logLines();
    for (const line of lines) {
      assert.doesNotMatch(line, /leaked-password-|correct horse battery/, 'a password in a log line');
      assert.doesNotMatch(line, /"nonce"/, 'a challenge answer in a log line');
    }
  });

  test('breached passwords: registration and change refuse one the range API lists; when it fails, sign-up goes on and the miss is counted', async () => {
    const email = newEmail('breach');
    const refused = await post(d.a.url, '/auth/register', { email, password: BREACHED_PASSWORD });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'weak_password');
    assert.match(refused.body.error.message, /data breach/);
    assert.ok(
      d.range.asked.every((line) => /^\/range\/[0-9A-F]{5} padding=true$/.test(line)),
      `only a 5-character prefix leaves: ${d.range.asked.join(', ')}`,
    );
    assert.equal((await post(d.a.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    const signedIn = await post(d.a.url, '/auth/login', { email, password: PASSWORD, deviceId: 'breach-device' });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const change = await post(
      d.a.url,
      '/auth/password/change',
      { currentPassword: PASSWORD, newPassword: BREACHED_PASSWORD },
      bearer(signedIn.body.accessToken),
    );
    assert.equal(change.status, 400, JSON.stringify(change.body));
    assert.equal(change.body.error.code, 'weak_password');

    d.range.mode = 'error';
    try {
      const during = await post(d.b.url, '/auth/register', { email: newEmail('breach-down'), password: BREACHED_PASSWORD });
      assert.equal(during.status, 201, `sign-up goes on while the range API fails: ${JSON.stringify(during.body)}`);
    } finally {
      d.range.mode = 'ok';
    }
    const missed = await Promise.all(
      d.workerMetrics.map(async (url) => {
        const text = await (await fetch(url)).text();
        return Number(/authgate_password_breach_checks_total\{outcome="missed"\} (\d+)/.exec(text)?.[1] ?? 0);
      }),
    );
    assert.equal(
      missed.reduce((a, b) => a + b, 0),
      1,
      `one miss counted across the workers: ${missed.join(', ')}`,
    );
  });
}
