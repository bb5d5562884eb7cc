import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AppError } from '@authgate/shared/errors';
import { createLogger } from '@authgate/shared/logger';
import { BreachCheck } from '../worker/breach.ts';
import { RangeServer } from './support/range-server.ts';

const BREACHED = 'password-from-a-breach';

describe('breached-password check against a range API in the test process', () => {
  let range: RangeServer;
  const log = createLogger({ level: 'silent', name: 'breach-test' });

  before(async () => {
    range = await RangeServer.start([BREACHED]);
  });
  after(() => range.close());

  test('a listed password is weak_password; only the first five hex characters of its SHA-1 leave, with padding asked', async () => {
    const check = new BreachCheck(range.url, 1_000, log);
    await assert.rejects(check.refuseBreached(BREACHED), (err: unknown) => err instanceof AppError && err.code === 'weak_password');
    const prefix = createHash('sha1').update(BREACHED).digest('hex').toUpperCase().slice(0, 5);
    assert.equal(range.asked.at(-1), `/range/${prefix} padding=true`);
    assert.deepEqual(check.stats, { clean: 0, breached: 1, missed: 0 });
  });

  test('a password not listed passes; padding lines (count 0) match nothing', async () => {
    const check = new BreachCheck(`${range.url}/`, 1_000, log);
    await check.refuseBreached('a passphrase nobody leaked');
    assert.deepEqual(check.stats, { clean: 1, breached: 0, missed: 0 });
  });

  test('a range API that is slow or failing does not block: the check is skipped and counted as missed', async () => {
    const check = new BreachCheck(range.url, 200, log);
    range.mode = 'slow';
    const started = Date.now();
    await check.refuseBreached(BREACHED);
    assert.ok(Date.now() - started < 2_000, 'bounded by the timeout');
    range.mode = 'error';
    await check.refuseBreached(BREACHED);
    range.mode = 'ok';
    const unreachable = new BreachCheck('http://127.0.0.1:9/range', 500, log);
    await unreachable.refuseBreached(BREACHED);
    assert.deepEqual(check.stats, { clean: 0, breached: 0, missed: 2 });
    assert.equal(unreachable.stats.missed, 1);
  });
});
