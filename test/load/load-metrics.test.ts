import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '@authgate/shared/config';
import { loadRunSettings } from '../../load-tests/deployment.ts';
import { wrkMetrics, type WrkOutput } from '../../load-tests/drivers/wrk.ts';
import { MixedJourney, RefreshJourney, SignupJourney, type Step } from '../../load-tests/journeys.ts';
import { LatencyHistogram } from '../../load-tests/metrics/histogram.ts';
import { ScenarioRecorder } from '../../load-tests/metrics/recorder.ts';
import { restOutcome } from '../../load-tests/outcomes.ts';
import { checkThresholds } from '../../load-tests/thresholds.ts';

describe('load-test metrics', () => {
  test('the latency histogram: percentiles within 1 %, min and max exact, nothing recorded reads as zeros', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 10_000; ms++) h.record(ms);
    const s = h.summary();
    assert.equal(s.count, 10_000);
    assert.equal(s.min, 1);
    assert.equal(s.max, 10_000);
    assert.equal(s.mean, 5000.5);
    for (const [got, want] of [
      [s.p50, 5000],
      [s.p95, 9500],
      [s.p99, 9900],
      [s.p999, 9990],
    ] as const)
      assert.ok(Math.abs(got - want) / want <= 0.01, `${got} vs ${want}`);
    assert.deepEqual(new LatencyHistogram().summary(), { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 });
  });

  test('the recorder counts by operation, code and second, and leaves requests cut off by time out of the totals', () => {
    const r = new ScenarioRecorder();
    const t0 = r.startedAt;
    r.record('rest login', { ok: true }, 10, t0 + 100);
    r.record('rest login', { ok: false, code: 'invalid_credentials' }, 20, t0 + 1500);
    r.record('rest verify', { ok: false, code: 'no_answer' }, undefined, t0 + 1600);
    for (let i = 0; i < 3; i++) r.unfinished('rest refresh');
    r.finish(t0 + 2000);
    const m = r.snapshot();
    assert.equal(m.total, 3);
    assert.equal(m.unfinished, 3);
    assert.equal(m.successRate, 0.333333);
    assert.equal(m.throughputRps, 1.5);
    assert.deepEqual(m.errorsByCode, { invalid_credentials: 1, no_answer: 1 });
    assert.equal(m.latencyMs.count, 2, 'an unanswered request has no latency');
    assert.deepEqual(
      m.timeline.map((p) => [p.t, p.ok, p.failed]),
      [
        [1, 1, 0],
        [2, 0, 2],
      ],
    );
    assert.equal(m.operations['rest login']!.total, 2);
    assert.deepEqual([m.operations['rest refresh']!.total, m.operations['rest refresh']!.unfinished], [0, 3]);
  });

  test('REST answers: success only with the operation status, failures by error.code, else by status', () => {
    assert.deepEqual(restOutcome('register', 201, '{"userId":"u"}').outcome, { ok: true });
    assert.deepEqual(restOutcome('register', 200, '{}').outcome, { ok: false, code: 'unexpected_status_200' });
    assert.deepEqual(restOutcome('login', 401, '{"error":{"code":"invalid_credentials","message":"x"}}').outcome, { ok: false, code: 'invalid_credentials' });
    assert.deepEqual(restOutcome('verify', 502, '<html>bad gateway</html>').outcome, { ok: false, code: 'http_502' });
    assert.deepEqual(restOutcome('login', 200, '{"accessToken":"a","refreshToken":"r"}').answer.data, { accessToken: 'a', refreshToken: 'r' });
  });

  test('several wrk runs merge into one scenario: counts add, socket errors get codes, seconds line up', () => {
    const run = (at: number, p50: number): WrkOutput => ({
      durationUs: 2_000_000,
      requests: 1000,
      errors: { connect: 0, read: 1, write: 0, status: 10, timeout: 2 },
      latencyUs: {
        min: 100,
        max: 10_000,
        mean: 600,
        percentiles: [
          [50, p50],
          [90, 1000],
          [95, 1500],
          [99, 5000],
          [99.9, 9000],
          [100, 10_000],
        ],
      },
      statuses: { 200: 990, 401: 10 },
      codes: { invalid_token: 10 },
      okAt: { [at]: 500, [at + 1]: 490 },
      failedAt: { [at + 1]: 10 },
    });
    const one = wrkMetrics([run(1000, 500)], 'rest');
    assert.equal(one.latencyMs.p50, 0.5, 'one run keeps wrk’s own figures');
    assert.equal(one.latencyMs.p99, 5);
    const m = wrkMetrics([run(1000, 500), run(1001, 500)], 'rest');
    assert.equal(m.ok, 1980);
    assert.deepEqual(m.errorsByCode, { invalid_token: 20, client_timeout: 4, socket_error: 2 });
    assert.equal(m.total, 1980 + 26);
    assert.deepEqual(
      m.timeline.map((p) => [p.t, p.ok, p.failed]),
      [
        [1, 500, 0],
        [2, 990, 10],
        [3, 490, 10],
      ],
    );
    assert.ok(Math.abs(m.latencyMs.p50 - 0.5) < 0.01, `two equal runs merge to the same p50 (${m.latencyMs.p50})`);
    assert.equal(m.throughputRps, 1003);
  });

  test('journeys: sign-up is two steps; the mixed user verifies, refreshes, logs out and starts again; failures recover', () => {
    const signup = new SignupJourney('a@example.test');
    assert.deepEqual([signup.next()?.op, signup.next()?.op, signup.next()], ['register', 'login', undefined]);

    let n = 0;
    const mixed = new MixedJourney(() => `m${n++}@example.test`, { verifiesPerRefresh: 2, refreshesPerSession: 1 });
    const ops: string[] = [];
    const pair = (i: number) => ({ accessToken: `a${i}`, refreshToken: `r${i}` });
    for (let i = 0; i < 9; i++) {
      const step = mixed.next() as Step;
      ops.push(step.op);
      mixed.answer(step, { ok: true, status: 200, data: pair(i) });
    }
    assert.deepEqual(ops, ['register', 'login', 'verify', 'verify', 'refresh', 'verify', 'verify', 'logout', 'register']);
    assert.equal(n, 2, 'a new account after the logout');

    const session = { email: 'x@example.test', password: 'p', refreshToken: 'r0' };
    const refresher = new RefreshJourney(session);
    const first = refresher.next();
    assert.deepEqual(first, { op: 'refresh', fields: { refreshToken: 'r0' } });
    refresher.answer(first, { ok: true, status: 200, data: pair(1) });
    assert.deepEqual(refresher.next().fields, { refreshToken: 'r1' }, 'the rotated token is used next');
    refresher.answer(refresher.next(), { ok: false, status: 401 });
    assert.equal(refresher.next().op, 'login', 'a failed refresh logs in again');
  });

  test('thresholds: each bound set is checked, none unset', () => {
    const r = new ScenarioRecorder();
    r.record('rest verify', { ok: true }, 10);
    r.record('rest verify', { ok: false, code: 'x' }, 30);
    const m = r.snapshot();
    assert.deepEqual(checkThresholds(m, {}), []);
    const results = checkThresholds(m, { minSuccessRate: 0.5, maxP99Ms: 20, maxUnfinished: 0 });
    assert.deepEqual(
      results.map((t) => [t.name, t.limit, t.passed]),
      [
        ['minSuccessRate', '>= 0.5', true],
        ['maxP99Ms', '<= 20 ms', false],
        ['maxUnfinished', '<= 0', true],
      ],
    );
  });

  test('a started deployment: low bcrypt cost, every request budget raised to its highest, and the config can set any back', () => {
    const settings = loadRunSettings({ shape: 'cluster', edges: 1, workers: 1, via: 'edges', bcryptCost: 4, env: { CHECK_EMAIL_PER_MINUTE: '50' } });
    assert.equal(settings.BCRYPT_COST, '4');
    assert.equal(settings.RATE_LIMIT_IP_PER_MINUTE, '10000000');
    assert.equal(settings.WS_MAX_MESSAGES_PER_10S, '100000');
    assert.equal(settings.CHECK_EMAIL_PER_MINUTE, '50');
    // Lockouts after so many failed logins (the brute-force limits) are budgets too.
    for (const name of Object.keys(configSchema.shape).filter((n) => /_FAILURES$/.test(n))) assert.ok(Number(settings[name]) >= 1000, name);
    assert.equal(settings.LOGIN_BACKOFF_MAX_S, undefined, 'durations are left alone');
  });
});
