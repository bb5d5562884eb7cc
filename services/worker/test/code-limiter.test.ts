import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { AppError } from '@authgate/shared/errors';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { CodeLimiter } from '../src/commands/code-limiter.ts';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';

const namespace = uniqueNamespace('mfa-limits');
after(() => cleanupNamespace(namespace));

async function refusal(work: Promise<unknown>): Promise<AppError | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof AppError);
    return err;
  }
}

for (const [name, store] of [
  ['memory', () => new LimiterStore(undefined)],
  ['redis', () => new LimiterStore(new Redis(REDIS_URL, { enableOfflineQueue: false, lazyConnect: false }))],
] as const) {
  describe(`second-factor code limits (${name} limiter store)`, () => {
    const limits = store();
    after(() => limits.close());
    const limiter = new CodeLimiter({ store: limits, namespace: `${namespace}-${name}`, limits: { accountMaxFailures: 3, ipMaxFailures: 5, windowS: 3600 } });

    test('per account: the fourth attempt without a success is refused with Retry-After; a right code gives its point back', async () => {
      await limiter.admit('account-a', '192.0.2.1');
      await limiter.succeeded('account-a', '192.0.2.1');
      for (let i = 0; i < 3; i++) await limiter.admit('account-a', `192.0.2.${10 + i}`);
      const refused = await refusal(limiter.admit('account-a', '192.0.2.99'));
      assert.equal(refused?.code, 'rate_limited');
      assert.ok(refused!.retryAfter! > 3500 && refused!.retryAfter! <= 3600);
    });

    test('per address: an IPv6 client counts by its /64, whichever addresses of it it uses', async () => {
      for (let i = 0; i < 5; i++) await limiter.admit(`account-v6-${i}`, `2001:db8:1:2::${i + 1}`);
      const refused = await refusal(limiter.admit('account-v6-x', '2001:db8:1:2:ffff::9'));
      assert.equal(refused?.code, 'rate_limited');
      assert.equal(await refusal(limiter.admit('account-v6-y', '2001:db8:1:3::1')), undefined, 'another /64 has its own budget');
    });

    test('a refusal by the address does not cost the account a point', async () => {
      for (let i = 0; i < 5; i++) await limiter.admit(`account-ip-${i}`, '198.51.100.7');
      for (let i = 0; i < 4; i++) assert.equal((await refusal(limiter.admit('account-b', '198.51.100.7')))?.code, 'rate_limited');
      for (let i = 0; i < 3; i++) await limiter.admit('account-b', '198.51.100.8');
    });
  });
}
