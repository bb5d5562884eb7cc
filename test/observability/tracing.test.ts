import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startEdge, type EdgeHandle } from '@authgate/edge';
import { composeDrivers, type Drivers } from '@authgate/shared/composition';
import { loadConfig } from '@authgate/shared/config';
import { createLogger } from '@authgate/shared/logger';
import { startTracing, type TracingHandle } from '@authgate/shared/tracing/setup';
import { startWorker, type WorkerHandle } from '@authgate/worker';
import { post } from '../helpers/http.ts';
import { openSocket } from '../helpers/sockets.ts';
import { tempDir } from '../helpers/services.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';
import { lineage, only, type SpanRecord } from './spans.ts';

/**
 * The all-in-one shape in this test process (composeDrivers + startWorker + startEdge), tracing on
 * with an in-memory exporter: one exporter sees the spans of edge, worker and relay.
 */
describe('tracing: one login is one trace across edge, worker and relay (in-process)', () => {
  const data = tempDir('tracing');
  const exporter = new InMemorySpanExporter();
  const log = createLogger({ level: 'silent', name: 'test' });
  let tracer: TracingHandle;
  let drivers: Drivers;
  let worker: WorkerHandle;
  let edge: EdgeHandle;
  let url: string;

  before(async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir, BCRYPT_COST: '4', PORT: '0', HOST: '127.0.0.1', METRICS_PORT: 'off' }, 'all');
    tracer = (await startTracing(config, 'authgate-all', { exporter }))!;
    drivers = await composeDrivers(config, 'all', log);
    worker = await startWorker(config, { ...drivers.worker(), log, tracing: tracer.tracing });
    edge = await startEdge(config, { ...drivers.edge(), log, tracing: tracer.tracing });
    url = `http://127.0.0.1:${edge.port}`;
  });

  after(async () => {
    await edge?.stop();
    await worker?.stop();
    await drivers?.close();
    await tracer?.shutdown();
    data.remove();
  });

  const records = (): SpanRecord[] =>
    exporter.getFinishedSpans().map((s: ReadableSpan) => ({
      name: s.name,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentSpanId: s.parentSpanContext?.spanId,
      service: String(s.resource.attributes['service.name']),
      attributes: s.attributes,
    }));

  /** The spans of the trace whose root is named `rootName`, once its relay span has finished. */
  const traceOf = async (rootName: string, count = 1): Promise<SpanRecord[]> => {
    const until = Date.now() + 5_000;
    for (;;) {
      const roots = records().filter((s) => s.name === rootName && !s.parentSpanId);
      const root = roots.at(-1);
      const spans = root ? records().filter((s) => s.traceId === root.traceId) : [];
      if (roots.length >= count && spans.some((s) => s.name === 'relay')) return spans;
      if (Date.now() > until)
        assert.fail(
          `no finished trace for ${rootName}: ${records()
            .map((s) => s.name)
            .join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  test('HTTP login: edge root > admission, publish > worker > stores, bcrypt, signing; relay under the worker', async () => {
    const email = newEmail();
    assert.equal((await post(url, '/auth/register', { email, password: PASSWORD })).status, 201);
    exporter.reset();
    const login = await post(url, '/auth/login', { email, password: PASSWORD });
    assert.equal(login.status, 200);
    const spans = await traceOf('POST /auth/login');
    const root = only(spans, 'POST /auth/login');
    assert.equal(root.parentSpanId, undefined, 'the edge request span is the root');
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1);
    // Every span of the login is in this one trace: nothing of it started a trace of its own.
    assert.deepEqual(
      records()
        .filter((s) => !s.parentSpanId)
        .map((s) => s.name),
      ['POST /auth/login'],
    );

    const publish = only(spans, 'publish');
    const workerSpan = only(spans, 'worker login');
    assert.deepEqual(lineage(spans, only(spans, 'admission')), ['admission', 'POST /auth/login']);
    assert.deepEqual(lineage(spans, publish), ['publish', 'POST /auth/login']);
    assert.deepEqual(lineage(spans, only(spans, 'wait')), ['wait', 'POST /auth/login']);
    assert.deepEqual(lineage(spans, workerSpan), ['worker login', 'publish', 'POST /auth/login']);
    assert.deepEqual(lineage(spans, only(spans, 'queue wait')), ['queue wait', 'publish', 'POST /auth/login']);
    for (const name of ['db.findByEmail', 'bcrypt.verify', 'sessions.create', 'jwt.sign', 'limiter.succeeded', 'results.deliver']) {
      assert.deepEqual(lineage(spans, only(spans, name)), [name, 'worker login', 'publish', 'POST /auth/login'], name);
    }
    assert.deepEqual(lineage(spans, only(spans, 'relay')), ['relay', 'worker login', 'publish', 'POST /auth/login']);
    assert.equal(root.attributes['authgate.status'], 200);
  });

  test('a failed login is traced too, its outcome on the root span; a WebSocket login is one trace as well', async () => {
    exporter.reset();
    const wrong = await post(url, '/auth/login', { email: newEmail(), password: PASSWORD });
    assert.equal(wrong.status, 401);
    const failed = await traceOf('POST /auth/login');
    assert.equal(only(failed, 'POST /auth/login').attributes['authgate.error'], 'invalid_credentials');
    assert.deepEqual(lineage(failed, only(failed, 'bcrypt.verify')), ['bcrypt.verify', 'worker login', 'publish', 'POST /auth/login']);

    exporter.reset();
    const socket = await openSocket(`ws://127.0.0.1:${edge.port}/ws`);
    try {
      const answer = await socket.request('login', { email: newEmail(), password: PASSWORD });
      assert.equal(answer.status, 401);
    } finally {
      socket.close();
    }
    const ws = await traceOf('ws login');
    assert.deepEqual(lineage(ws, only(ws, 'relay')), ['relay', 'worker login', 'publish', 'ws login']);
  });

  test('refused at admission: the root span ends with the error and nothing is published', async () => {
    exporter.reset();
    const bad = await post(url, '/auth/login', { email: 'not an email', password: PASSWORD });
    assert.equal(bad.status, 400);
    const until = Date.now() + 2_000;
    while (!records().some((s) => s.name === 'POST /auth/login') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const spans = records();
    assert.equal(only(spans, 'POST /auth/login').attributes['authgate.error'], 'invalid_request');
    assert.equal(spans.filter((s) => s.name === 'publish').length, 0);
  });
});

describe('tracing off', () => {
  test('without OTEL_EXPORTER_OTLP_ENDPOINT nothing is started', async () => {
    const config = loadConfig({ NODE_ENV: 'test' }, 'edge');
    assert.equal(await startTracing(config, 'authgate-edge'), undefined);
  });
});
