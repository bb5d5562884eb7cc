import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryDelayMs } from '../src/backoff.ts';
import { classifySendFailure } from '../src/failures.ts';

test('SMTP failures: 5xx permanent (authentication aside), 4xx and no reply temporary', () => {
  assert.deepEqual(classifySendFailure({ code: 'EENVELOPE', responseCode: 550 }), { permanent: true, reason: 'smtp_550', responseCode: 550 });
  assert.deepEqual(classifySendFailure({ code: 'EMESSAGE', responseCode: 554 }), { permanent: true, reason: 'smtp_554', responseCode: 554 });
  assert.deepEqual(classifySendFailure({ code: 'EENVELOPE', responseCode: 451 }), { permanent: false, reason: 'smtp_451' });
  assert.deepEqual(classifySendFailure({ code: 'EAUTH', responseCode: 535 }), { permanent: false, reason: 'smtp_535' });
  assert.deepEqual(classifySendFailure({ code: 'ESOCKET' }), { permanent: false, reason: 'ESOCKET' });
  assert.deepEqual(classifySendFailure({ code: 'ETIMEDOUT' }), { permanent: false, reason: 'ETIMEDOUT' });
  assert.deepEqual(classifySendFailure(new Error('ENOSPC')), { permanent: false, reason: 'unknown' });
});

test('backoff doubles from the base, stays within [half, all] of it, and never passes the max', () => {
  for (const random of [0, 0.5, 0.999]) {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const ceiling = Math.min(10_000, 100 * 2 ** (attempt - 1));
      const delay = retryDelayMs(attempt, 100, 10_000, () => random);
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay}`);
    }
  }
  assert.equal(
    retryDelayMs(1, 100, 10_000, () => 0),
    50,
  );
  assert.equal(
    retryDelayMs(4, 100, 10_000, () => 0.999_999),
    800,
  );
});

test("a job held past MAX_HOLD_MS by retries goes back to the lane (before the broker's consumer timeout would take it)", async () => {
  const { createDeliveryHandler, MAX_HOLD_MS } = await import('../src/deliver.ts');
  const { capturedLogger, makeJob } = await import('./support.ts');
  let clock = 0;
  let tries = 0;
  const handler = createDeliveryHandler({
    from: 'Example <no-reply@example.com>',
    messageIdDomain: 'example.com',
    templates: { publicUrl: 'https://auth.example.com', product: 'Example' },
    retryBaseMs: 10,
    retryMaxMs: 20,
    sender: {
      async send() {
        tries++;
        clock += MAX_HOLD_MS / 4; // each try "takes" a quarter of the limit
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' });
      },
      close() {},
    },
    log: capturedLogger().log,
    stopping: new AbortController().signal,
    now: () => clock,
  });
  assert.deepEqual(await handler(makeJob('new_sign_in'), { redelivered: false }), { outcome: 'requeue' });
  assert.equal(tries, 4);
});
