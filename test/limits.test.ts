import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, post } from './helpers/http.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { openSocket } from './helpers/sockets.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';
import { newEmail, PASSWORD } from './helpers/users.ts';

/** The error codes that only appear when a limit is reached: rate_limited, overloaded, timeout. */
describe('limits: rate_limited, overloaded, timeout', () => {
  const data = tempDir('limits');
  const processes: RunningProcess[] = [];
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    data.remove();
  });

  describe('rate limiting per client IP', () => {
    let edge: RunningProcess;
    before(async () => {
      edge = await startProcess('all', {
        DATA_DIR: `${data.dir}/rl`,
        BCRYPT_COST: '4',
        RATE_LIMIT_IP_PER_MINUTE: '3',
        TRUSTED_PROXIES: '127.0.0.1',
      });
      processes.push(edge);
    });

    test('the request past the limit gets 429 rate_limited with Retry-After, per client IP', async () => {
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      for (let i = 0; i < 3; i++) {
        const ok = await post(edge.url, '/auth/login', { email: newEmail(), password: PASSWORD }, from('198.51.100.7'));
        assert.equal(ok.status, 401);
      }
      const limited = await post(edge.url, '/auth/login', { email: newEmail(), password: PASSWORD }, from('198.51.100.7'));
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'rate_limited');
      assert.ok(limited.body.error.retryAfter >= 1 && limited.body.error.retryAfter <= 60);
      assert.equal(limited.headers.get('retry-after'), String(limited.body.error.retryAfter));
      // Another client behind the same proxy has its own budget.
      const other = await post(edge.url, '/auth/login', { email: newEmail(), password: PASSWORD }, from('198.51.100.8'));
      assert.equal(other.status, 401);
    });

    test('WebSocket frames count against the same limit', async () => {
      const socket = await openSocket(edge.wsUrl);
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await socket.login(newEmail(), PASSWORD));
      assert.deepEqual(
        answers.map((a) => a.status),
        [401, 401, 401, 429],
      );
      assert.equal(answers[3]!.error!.code, 'rate_limited');
      socket.close();
    });
  });

  describe('an edge whose workers are away', () => {
    let edge: RunningProcess;
    const namespace = uniqueNamespace('limits');
    // Queue arguments are part of the queue's identity in RabbitMQ: every process of a deployment sets the same QUEUE_MAX_LENGTH.
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: `${data.dir}/edge`,
      BCRYPT_COST: '4',
      QUEUE_MAX_LENGTH: '2',
      TRUSTED_PROXIES: '127.0.0.1',
    };
    before(async () => {
      edge = await startProcess('edge', { ...common, REQUEST_TIMEOUT_MS: '700', MAX_PENDING: '1' });
      processes.push(edge);
    });
    after(async () => {
      await edge.stop();
      await cleanupNamespace(namespace);
    });

    test('a request with no result within its deadline gets 504 timeout; a full pending map answers 503 at once', async () => {
      const email = newEmail('expired');
      const started = Date.now();
      const [first, second] = await Promise.all([
        post(edge.url, '/auth/register', { email, password: PASSWORD }),
        new Promise((r) => setTimeout(r, 100)).then(() => post(edge.url, '/auth/login', { email: newEmail(), password: PASSWORD })),
      ]);
      assert.equal(second.status, 503);
      assert.equal(second.body.error.code, 'overloaded');
      assert.equal(first.status, 504);
      assert.equal(first.body.error.code, 'timeout');
      assert.ok(Date.now() - started < 5_000, 'answered near its deadline, not hung');
    });

    test('commands that expired in the queue are dropped by the worker, not executed', async () => {
      const email = newEmail('late');
      const timedOut = await post(edge.url, '/auth/register', { email, password: PASSWORD });
      assert.equal(timedOut.status, 504);
      const database = await createTestDatabase('limits');
      const worker = await startProcess('worker', { ...common, DATABASE_URL: database.url });
      processes.push(worker);
      try {
        // Had the expired command run, this address would now be taken.
        const retry = await post(edge.url, '/auth/register', { email, password: PASSWORD });
        assert.equal(retry.status, 201, JSON.stringify(retry.body));
        const ready = await call(edge.url, 'GET', '/ready');
        assert.equal(ready.status, 200);
      } finally {
        await worker.stop();
        await database.drop();
      }
    });

    test('a full queue refuses with 503 overloaded instead of growing', async () => {
      // Deferred requests answer once the broker holds the command: two fit, the third is refused.
      // Three clients, each with its first command: all three in round 0's queue (one client's
      // commands would each go to the next round's queue, each bounded on its own).
      const answers = [];
      for (let i = 0; i < 3; i++) {
        answers.push(
          await post(
            edge.url,
            '/auth/register',
            { email: newEmail('queued'), password: PASSWORD },
            { 'x-connection-id': `${edge.nodeId}.AAAAAAAAAAAAAAAAAAAAAA`, 'x-forwarded-for': `192.0.2.${i + 1}` },
          ),
        );
      }
      assert.deepEqual(
        answers.map((a) => a.status),
        [202, 202, 503],
      );
      assert.equal(answers[2]!.body.error.code, 'overloaded');
    });
  });
});
