import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { post } from '../helpers/http.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';
import { startOtlpReceiver } from './otlp-receiver.ts';
import { lineage, only, type SpanRecord } from './spans.ts';

/**
 * An edge and a worker as separate processes over the real RabbitMQ and Redis, each exporting over
 * OTLP/HTTP to a receiver this test runs on loopback: the traceparent crosses the broker in the
 * command and comes back in the result.
 */
describe('tracing across processes: traceparent through RabbitMQ and Redis', () => {
  const namespace = uniqueNamespace('trace');
  const data = tempDir('trace');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let worker: RunningProcess;
  let edge: RunningProcess;

  before(async () => {
    receiver = await startOtlpReceiver();
    database = await createTestDatabase('trace');
    const env = { NAMESPACE: namespace, AMQP_URL, REDIS_URL, DATA_DIR: data.dir, BCRYPT_COST: '4', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    worker = await startProcess('worker', { ...env, DATABASE_URL: database.url });
    edge = await startProcess('edge', env);
  });

  after(async () => {
    await edge?.stop();
    await worker?.stop();
    await receiver?.close();
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  test('edge spans (service authgate-edge) and worker spans (authgate-worker) make one trace, parents across the queue', async () => {
    const email = newEmail();
    assert.equal((await post(edge.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    assert.equal((await post(edge.url, '/auth/login', { email, password: PASSWORD })).status, 200);
    // Both processes export in batches (every 500 ms): wait for the whole trace.
    let spans: SpanRecord[] = [];
    const until = Date.now() + 15_000;
    for (;;) {
      const root = receiver.spans.find((s) => s.name === 'POST /auth/login' && !s.parentSpanId);
      spans = root ? receiver.spans.filter((s) => s.traceId === root.traceId) : [];
      const names = new Set(spans.map((s) => s.name));
      if (['relay', 'worker login', 'bcrypt.verify', 'results.deliver', 'wait'].every((n) => names.has(n))) break;
      if (Date.now() > until) assert.fail(`incomplete trace: ${[...names].join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const workerSpan = only(spans, 'worker login');
    const publish = only(spans, 'publish');
    assert.equal(publish.service, 'authgate-edge');
    assert.equal(workerSpan.service, 'authgate-worker');
    assert.equal(workerSpan.parentSpanId, publish.spanId, 'the worker span continues the edge publish span (traceparent in the command)');
    assert.equal(only(spans, 'relay').service, 'authgate-edge');
    assert.equal(only(spans, 'relay').parentSpanId, workerSpan.spanId, 'the relay span continues the worker span (traceparent in the result)');
    for (const name of ['db.findByEmail', 'bcrypt.verify', 'sessions.create', 'jwt.sign', 'results.deliver']) {
      assert.deepEqual(lineage(spans, only(spans, name)), [name, 'worker login', 'publish', 'POST /auth/login'], name);
      assert.equal(only(spans, name).service, 'authgate-worker');
    }
  });
});
