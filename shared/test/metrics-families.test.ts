import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, register, SampledLatency } from '@authgate/shared/metrics/families';

test('counter cells and readers are exposed in the Prometheus text format', async () => {
  const registry = new Registry();
  const family = register(registry, new CounterFamily('t_requests_total', 'Requests.', ['route', 'status']));
  const ok = family.cell({ route: '/a', status: '200' });
  ok.inc();
  ok.inc(2);
  assert.equal(family.cell({ route: '/a', status: '200' }), ok, 'the same labels give the same cell');
  const kept = { n: 7 };
  register(
    registry,
    new CounterFamily('t_kept_total', 'Kept elsewhere.', ['kind']).read({ kind: 'x' }, () => kept.n).readMany(() => [[{ kind: 'y' }, 2]]),
  );
  const text = await registry.metrics();
  assert.match(text, /^# TYPE t_requests_total counter$/m);
  assert.match(text, /^t_requests_total\{route="\/a",status="200"\} 3$/m);
  assert.match(text, /^t_kept_total\{kind="x"\} 7$/m);
  assert.match(text, /^t_kept_total\{kind="y"\} 2$/m);
});

test('histogram cells: cumulative buckets, +Inf, sum and count', async () => {
  const registry = new Registry();
  const cell = register(registry, new HistogramFamily('t_seconds', 'Latency.', ['route'], [0.1, 1])).cell({ route: '/a' });
  for (const v of [0.05, 0.5, 0.7, 3]) cell.observe(v);
  const text = await registry.metrics();
  assert.match(text, /^t_seconds_bucket\{route="\/a",le="0.1"\} 1$/m);
  assert.match(text, /^t_seconds_bucket\{route="\/a",le="1"\} 3$/m);
  assert.match(text, /^t_seconds_bucket\{route="\/a",le="\+Inf"\} 4$/m);
  assert.match(text, /^t_seconds_sum\{route="\/a"\} 4.25$/m);
  assert.match(text, /^t_seconds_count\{route="\/a"\} 4$/m);
});

test('sampled latency: every request counted, one in 8 timed, the others at the latest timed value', () => {
  const cell = new HistogramFamily('t2_seconds', 'Latency.', [], [0.001, 10]).cell({});
  const sampled = new SampledLatency(cell);
  let timed = 0;
  for (let i = 0; i < 80; i++) {
    const started = sampled.start();
    if (started >= 0) timed++;
    sampled.end(started);
  }
  assert.equal(timed, 10);
  assert.equal(cell.count, 80);
  assert.equal(
    cell.counts.reduce((a, b) => a + b, 0),
    80,
  );
});
