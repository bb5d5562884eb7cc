import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '@authgate/shared/errors';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { LoginLimiter } from '@authgate/shared/security/login-limiter';

const DAY_S = 86_400;
/** Lets every timer due within `ms` run: an overflowing timer is due at once. */
const timersRun = (ms = 20) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('the in-memory limiter store (all-in-one, and Redis insurance)', () => {
  test('a key kept for 30 days is still there after the timers run (Node caps a timer at about 24.8 days)', async () => {
    const limiter = new LimiterStore(undefined).limiter('test:long', 1, 30 * DAY_S);
    await limiter.set('k', 1, 30 * DAY_S);
    await limiter.consume('other');
    await timersRun();
    const kept = await limiter.get('k');
    assert.equal(kept?.consumedPoints, 1);
    assert.ok(kept.msBeforeNext > 24 * DAY_S * 1000, `kept for ${kept.msBeforeNext} ms`);
    assert.equal((await limiter.get('other'))?.consumedPoints, 1, 'a consume with a 30-day window is kept too');
  });

  test("the owner's trusted device keeps its own login budget once the account-wide one is spent", async () => {
    const login = new LoginLimiter({
      store: new LimiterStore(undefined),
      namespace: 'test',
      limits: { accountMaxFailures: 3, accountWindowS: 600, freeFailures: 100, backoffBaseS: 1, backoffMaxS: 1, trustedDeviceTtlS: 30 * DAY_S },
    });
    const email = 'owner@example.test';
    await login.admit(email, '192.0.2.1', 'laptop');
    await login.succeeded(email, '192.0.2.1', 'laptop');
    await timersRun();
    for (let i = 0; i < 3; i++) await login.admit(email, `198.51.100.${i}`);
    await assert.rejects(login.admit(email, '198.51.100.9'), (err: unknown) => err instanceof AppError && err.code === 'rate_limited');
    await login.admit(email, '203.0.113.5', 'laptop');
  });
});
