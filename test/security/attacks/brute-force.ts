import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { Redis } from 'ioredis';
import { AppError } from '@authgate/shared/errors';
import { LoginLimiter } from '@authgate/shared/security/login-limiter';
import type { ResultFrame } from '@authgate/shared/client/socket-client';
import { attack } from '../support/cases.ts';
import { newEmail, newIp, newPassword, openSocketFrom, postJson, register, rest, sleep, wsRequest } from '../support/client.ts';
import { startDeployment, type Deployment } from '../support/deployment.ts';
import type { HttpAnswer } from '../../helpers/http.ts';
import { assertApiSecurityHeaders } from '../support/headers.ts';
import { LimiterStore } from '@authgate/shared/security/limiter-store';

const FREE = 3;
const BASE_S = 1;
const MAX_S = 4;
const ACCOUNT_MAX = 50;
const ACCOUNT_WINDOW_S = 8;
const IP_PER_MINUTE = 300;

function assertRateLimited(answer: HttpAnswer, what: string): number {
  assert.equal(answer.status, 429, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.error.code, 'rate_limited', what);
  const retryAfter = answer.body.error.retryAfter as number;
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `${what}: retryAfter ${retryAfter}`);
  assert.equal(answer.headers.get('retry-after'), String(retryAfter), `${what}: Retry-After header`);
  return retryAfter;
}

/** Brute force: the limits hold across both edges, both surfaces and any concurrency, and always expire. */
export function bruteForceAttacks(): void {
  describe('brute force: per IP, per account, per (account, IP) with a growing back-off', () => {
    let d: Deployment;
    before(async () => {
      d = await startDeployment('brute', {
        env: {
          LOGIN_FREE_FAILURES: String(FREE),
          LOGIN_BACKOFF_BASE_S: String(BASE_S),
          LOGIN_BACKOFF_MAX_S: String(MAX_S),
          LOGIN_ACCOUNT_MAX_FAILURES: String(ACCOUNT_MAX),
          LOGIN_ACCOUNT_WINDOW_S: String(ACCOUNT_WINDOW_S),
          RATE_LIMIT_IP_PER_MINUTE: String(IP_PER_MINUTE),
        },
      });
    });
    after(() => d?.stop());

    const edges = () => [d.a.url, d.b.url];
    const login = (i: number, email: string, password: string, ip: string) => postJson(edges()[i % 2]!, '/auth/login', { email, password }, ip);

    /**
     * The account-window case waits its lock out (up to LOGIN_ACCOUNT_WINDOW_S) and the back-off case its
     * four lockouts, on accounts and addresses of their own: the back-off case starts the account-window
     * attack, waits until its burst is answered, and then runs beside its wait. The account-window case
     * reports what that attack found.
     */
    let accountWindow: { burst: Promise<void>; done: Promise<void> } | undefined;
    const startAccountWindow = () => {
      if (!accountWindow) {
        let burstAnswered: () => void = () => {};
        const burst = new Promise<void>((resolve) => {
          burstAnswered = resolve;
        });
        const done = accountWindowAttack(() => burstAnswered());
        const settled = done.catch(() => {}); // its case reports a failure; until then it is not unhandled
        accountWindow = { burst: Promise.race([burst, settled]), done };
      }
      return accountWindow;
    };
    const accountWindowAttack = async (burstAnswered: () => void) => {
      const email = newEmail('account');
      const password = newPassword();
      await register(d.a.url, email, password, newIp());
      const answers = await Promise.all(Array.from({ length: ACCOUNT_MAX + 10 }, (_, i) => login(i, email, `parallel wrong ${i}`, newIp())));
      burstAnswered();
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 401).length, ACCOUNT_MAX, `401s: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 10);
      const waits = answers.filter((a) => a.status === 429).map((a) => assertRateLimited(a, 'account limit'));
      assert.ok(
        waits.every((w) => w <= ACCOUNT_WINDOW_S),
        `Retry-After within the window: ${waits.join(',')}`,
      );
      // The owner too must wait, from anywhere, but only until the window ends.
      const owner = await login(0, email, password, newIp());
      const wait = assertRateLimited(owner, 'the owner while the account is locked');
      await sleep(wait * 1000 + 300);
      assert.equal((await login(1, email, password, newIp())).status, 200, 'the owner after the window');
    };

    attack(
      'consecutive failures of one (account, IP) lock that pair out with 429 and Retry-After; each lockout expires and the next one doubles, up to the cap',
      async () => {
        // The account-window case below runs beside this one's four lockouts (accountWindow): its burst
        // first, answered before this case sends anything.
        await startAccountWindow().burst;
        const email = newEmail('pair');
        const password = newPassword();
        await register(d.a.url, email, password, newIp());
        const attacker = newIp();
        const expected = [BASE_S, 2 * BASE_S, Math.min(4 * BASE_S, MAX_S), MAX_S];
        for (const [round, lockout] of expected.entries()) {
          for (let i = 0; i < FREE; i++) assert.equal((await login(i, email, `wrong ${round} ${i} guess`, attacker)).status, 401, `round ${round}, try ${i}`);
          const limited = await login(round, email, 'one more wrong guess', attacker);
          assert.equal(assertRateLimited(limited, `round ${round}`), lockout, `lockout ${round + 1} lasts ${lockout} s`);
          assertApiSecurityHeaders(limited.headers, '429 answer');
          if (round === 0) {
            // A soft lockout: it holds even for the right password from that IP, but not for the owner elsewhere.
            assertRateLimited(await login(1, email, password, attacker), 'right password from the locked IP');
            assert.equal((await login(0, email, password, newIp())).status, 200, 'the owner from another IP');
          }
          await sleep(lockout * 1000 + 300);
        }
        assert.equal((await login(0, email, password, attacker)).status, 200, 'after the last lockout expired');
      },
    );

    attack('a success resets the (account, IP) counter and its back-off', async () => {
      const email = newEmail('reset');
      const password = newPassword();
      await register(d.b.url, email, password, newIp());
      const ip = newIp();
      for (let i = 0; i < FREE; i++) assert.equal((await login(i, email, `wrong guess ${i}`, ip)).status, 401);
      assert.equal(assertRateLimited(await login(0, email, 'wrong again', ip), 'first lockout'), BASE_S);
      await sleep(BASE_S * 1000 + 300);
      assert.equal((await login(1, email, password, ip)).status, 200);
      // FREE fresh failures again, and the next lockout starts over at the base length.
      for (let i = 0; i < FREE; i++) assert.equal((await login(i, email, `wrong after success ${i}`, ip)).status, 401, `try ${i} after the success`);
      assert.equal(assertRateLimited(await login(0, email, 'wrong again', ip), 'lockout after a success'), BASE_S);
    });

    attack(
      `${ACCOUNT_MAX + 10} parallel wrong passwords on one account from ${ACCOUNT_MAX + 10} IPs across both edges: exactly ${ACCOUNT_MAX} are tried, the rest get 429; the account lock is soft and expires`,
      async () => {
        await startAccountWindow().done;
      },
    );

    attack(
      '20 parallel wrong passwords from one IP on one account, over both edges and both surfaces, count as 20: exactly LOGIN_FREE_FAILURES are tried',
      async () => {
        const email = newEmail('burst');
        await register(d.b.url, email, newPassword(), newIp());
        const ip = newIp();
        const sockets = await Promise.all([openSocketFrom(d.a.wsUrl, ip), openSocketFrom(d.b.wsUrl, ip)]);
        const statuses = await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const password = `burst wrong ${i}`;
            if (i % 4 < 2) return (await login(i, email, password, ip)).status;
            const frame = await wsRequest(sockets[i % 2]!, 'login', { email, password });
            if (frame.status === 429) assert.ok((frame.error?.retryAfter ?? 0) >= 1, 'WebSocket 429 carries retryAfter');
            return frame.status;
          }),
        );
        for (const socket of sockets) socket.close();
        assert.equal(statuses.filter((s) => s === 401).length, FREE, statuses.join(','));
        assert.equal(statuses.filter((s) => s === 429).length, 20 - FREE, statuses.join(','));
      },
    );

    attack(
      "a deferred login answered on the other edge's WebSocket and WebSocket logins count on the same counters, and a success there resets them",
      async () => {
        const email = newEmail('deferred');
        const password = newPassword();
        await register(d.a.url, email, password, newIp());
        const ip = newIp();
        const onA = await openSocketFrom(d.a.wsUrl, ip);
        const pushed: ResultFrame[] = [];
        onA.onUnsolicited = (frame) => {
          if (frame.type === 'result') pushed.push(frame);
        };
        for (let i = 0; i < FREE - 1; i++) {
          const accepted = await postJson(d.b.url, '/auth/login', { email, password: `deferred wrong ${i}` }, ip, { 'x-connection-id': onA.connectionId });
          assert.equal(accepted.status, 202);
        }
        for (let i = 0; i < 100 && pushed.length < FREE - 1; i++) await sleep(50);
        assert.deepEqual(
          pushed.map((f) => f.status),
          Array(FREE - 1).fill(401),
          'deferred results pushed to edge A',
        );
        // Had the deferred failures not counted, nothing here would change; had the success not reset them, the second try below would be locked.
        assert.equal((await wsRequest(onA, 'login', { email, password })).status, 200, 'success over the WebSocket on edge A');
        const onB = await openSocketFrom(d.b.wsUrl, ip);
        for (let i = 0; i < FREE; i++)
          assert.equal((await wsRequest(onB, 'login', { email, password: `ws wrong ${i}` })).status, 401, `after the reset, try ${i}`);
        const locked = await login(0, email, 'rest wrong', ip);
        assertRateLimited(locked, 'REST on edge A after WebSocket failures on edge B');
        onA.close();
        onB.close();
      },
    );

    attack('per client IP: requests from one IP are counted across both edges', async () => {
      const ip = newIp();
      // A malformed body still costs its request: the IP limit is taken before the body is read.
      const answers = await Promise.all(
        Array.from({ length: IP_PER_MINUTE }, (_, i) =>
          rest(edges()[i % 2]!, 'POST', '/auth/refresh', { raw: '{', ip, headers: { 'content-type': 'application/json' } }),
        ),
      );
      assert.ok(
        answers.every((a) => a.status === 400),
        'the first IP_PER_MINUTE requests are answered',
      );
      for (const edge of edges())
        assertRateLimited(await rest(edge, 'POST', '/auth/refresh', { raw: '{', ip, headers: { 'content-type': 'application/json' } }), `one more on ${edge}`);
      assert.equal(
        (await rest(d.a.url, 'POST', '/auth/refresh', { raw: '{', ip: newIp(), headers: { 'content-type': 'application/json' } })).status,
        400,
        'another IP is not limited',
      );
    });

    attack('with Redis unreachable, the in-memory insurance limiter still enforces the login limits', async () => {
      const unreachable = new Redis('redis://127.0.0.1:1', {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 1000,
        lazyConnect: false,
      });
      unreachable.on('error', () => {});
      try {
        const limiter = new LoginLimiter({
          store: new LimiterStore(unreachable),
          namespace: d.namespace,
          limits: { accountMaxFailures: 100, accountWindowS: 60, freeFailures: 2, backoffBaseS: 3, backoffMaxS: 10 },
        });
        const email = newEmail('insured');
        await limiter.admit(email, '192.0.2.1');
        await limiter.admit(email, '192.0.2.1');
        await assert.rejects(
          limiter.admit(email, '192.0.2.1'),
          (err: unknown) => err instanceof AppError && err.code === 'rate_limited' && err.retryAfter === 3,
        );
        await limiter.admit(email, '192.0.2.2');
        await limiter.succeeded(email, '192.0.2.1');
        await limiter.admit(email, '192.0.2.1');
      } finally {
        unreachable.disconnect();
      }
    });
  });
}
