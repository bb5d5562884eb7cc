import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisMonitor } from '../helpers/redis-monitor.ts';
import type { AppError } from '@authgate/shared/errors';
import { createLogger } from '@authgate/shared/logger';
import type { Result } from '@authgate/shared/protocol';
import { createRedis } from '@authgate/shared/redis';
import { LoginLimiter } from '@authgate/shared/security/login-limiter';
import { RedisRevocations } from '@authgate/shared/security/revocations';
import { RedisResultBus } from '@authgate/shared/transport/redis-results';
import { freePort } from '../../scripts/cluster/ports.ts';
import { PrivateRedis } from './services/private-redis.ts';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { PerMinuteLimiter } from '@authgate/shared/security/per-minute-limiter';

// A Redis of the test's own, restarted under the clients: pub/sub gaps are closed by collecting what
// was kept, revocations published in a gap still arrive, and the rate limiters keep limiting.

const log = createLogger({ level: 'silent', name: 'test' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('clients of a Redis that restarts', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authgate-redis-outage-'));
  let redis: PrivateRedis;
  const closers: (() => unknown)[] = [];

  before(async () => {
    redis = new PrivateRedis(await freePort(), dir);
    await redis.start();
  });

  after(async () => {
    for (const close of closers.reverse()) await close();
    await redis?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A plain connection for the test's own looks at Redis. */
  function inspector(): Redis {
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    client.on('error', () => {});
    closers.push(() => client.disconnect());
    return client;
  }

  /** A node's result bus whose resync does what an edge does: collect the pending requests at once. */
  async function nodeBus(namespace: string, nodeId: string) {
    const node = new RedisResultBus(redis.url, namespace, log);
    closers.push(() => node.close());
    const received: Result[] = [];
    const collected: Result[] = [];
    const pending = new Set<string>();
    let resyncs = 0;
    await node.subscribe(
      nodeId,
      (r) => received.push(r),
      () => {
        resyncs++;
        void node.collect(nodeId, [...pending]).then((found) => collected.push(...found));
      },
    );
    const worker = new RedisResultBus(redis.url, namespace, log);
    closers.push(() => worker.close());
    return { node, worker, received, collected, pending, resyncs: () => resyncs };
  }

  const resultFor = (nodeId: string): Result => ({ requestId: randomUUID(), replyTo: { nodeId }, ok: true, status: 200, data: { n: randomUUID() } });

  test('a node whose subscription dropped subscribes again before it resyncs, and collects what was published in the gap', async () => {
    const nodeId = 'node-gap';
    const bus = await nodeBus(`t-gap-${randomUUID().slice(0, 8)}`, nodeId);
    const look = inspector();
    // Redis's own record of the order it ran commands in: the SUBSCRIBE must come before the resync's MGET.
    const order: string[] = [];
    const monitor = await RedisMonitor.open(redis.url, (args) => {
      const command = args[0]?.toLowerCase();
      if (command === 'subscribe' || command === 'mget') order.push(command);
    });
    closers.push(() => monitor.close());
    await sleep(100);
    // Only the subscriber connection is dropped (as Redis does past a pubsub client's output buffer
    // limit): the node's command connection stays up, so its resync could outrun its SUBSCRIBE.
    await look.client('KILL', 'TYPE', 'pubsub');
    const inGap = resultFor(nodeId);
    bus.pending.add(inGap.requestId);
    assert.equal(await bus.worker.deliver(inGap), true);

    await waitFor('the resync', () => bus.collected.length > 0 || bus.received.some((r) => r.requestId === inGap.requestId));
    await waitFor('the resync MGET in the monitor', () => order.includes('mget'));
    assert.equal(order[0], 'subscribe', `Redis ran ${order.join(', ')}: the resync looked before the subscription held`);
    assert.equal(bus.resyncs(), 1);
    assert.deepEqual(
      [...bus.received, ...bus.collected].find((r) => r.requestId === inGap.requestId),
      inGap,
    );
    const later = resultFor(nodeId);
    await bus.worker.deliver(later);
    await waitFor('a result after the gap', () => bus.received.some((r) => r.requestId === later.requestId));
  });

  test('after a Redis restart a node gets the results delivered in the gap', async () => {
    const nodeId = 'node-restart';
    const bus = await nodeBus(`t-restart-${randomUUID().slice(0, 8)}`, nodeId);
    await redis.stop();
    await sleep(1_500); // the subscriber's reconnection backs off meanwhile
    await redis.start();
    // Delivered by a worker at once, most likely before the node's subscriber is back.
    const inGap = resultFor(nodeId);
    bus.pending.add(inGap.requestId);
    assert.equal(await bus.worker.deliver(inGap), true);
    await waitFor('the result', () => [...bus.received, ...bus.collected].some((r) => r.requestId === inGap.requestId));
    const later = resultFor(nodeId);
    await bus.worker.deliver(later);
    await waitFor('a result after the gap', () => bus.received.some((r) => r.requestId === later.requestId));
    assert.equal(await bus.node.ready(), true);
  });

  test('a revocation made while an edge was away from Redis reaches it', async () => {
    const namespace = `t-rev-${randomUUID().slice(0, 8)}`;
    const edge = new RedisRevocations(redis.url, namespace, 60_000, log);
    closers.push(() => edge.close());
    await edge.follow();

    await redis.stop();
    await sleep(1_500);
    await redis.start();
    const worker = new RedisRevocations(redis.url, namespace, 60_000, log);
    closers.push(() => worker.close());
    const sid = randomUUID();
    await worker.revoke(sid);
    await waitFor('the revocation at the edge', () => edge.isRevoked(sid));
    assert.equal(await edge.ready(), true);
  });

  test('while Redis is down the rate limiters fall back to their insurance limiters: they go on limiting, never failing', async () => {
    const namespace = `t-ins-${randomUUID().slice(0, 8)}`;
    const client = createRedis(redis.url, log, 'limiter', { enableOfflineQueue: false });
    closers.push(() => client.disconnect());
    await waitFor('the limiter connection', () => client.status === 'ready');
    const limits = { accountMaxFailures: 1000, accountWindowS: 60, freeFailures: 3, backoffBaseS: 30, backoffMaxS: 60 };
    const store = new LimiterStore(client);
    const logins = new LoginLimiter({ store, namespace, limits });
    const perIp = new PerMinuteLimiter(store, `${namespace}:rl:ip`, 5);

    await redis.stop();
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++)
      outcomes.push(
        await logins.admit('owner@example.test', '10.0.0.1').then(
          () => 'admitted',
          (err: AppError) => err.code,
        ),
      );
    assert.deepEqual(outcomes, ['admitted', 'admitted', 'admitted', 'rate_limited', 'rate_limited']);
    const ipOutcomes: string[] = [];
    for (let i = 0; i < 7; i++)
      ipOutcomes.push(
        await perIp.consume('10.0.0.2').then(
          () => 'ok',
          (err: AppError) => err.code,
        ),
      );
    assert.deepEqual(ipOutcomes, ['ok', 'ok', 'ok', 'ok', 'ok', 'rate_limited', 'rate_limited']);

    await redis.start();
    await waitFor('the limiter reconnected', () => client.status === 'ready');
    // Back on Redis, whose counters started over: the limits count there again.
    await logins.admit('owner@example.test', '10.0.0.3');
    const look = inspector();
    assert.ok((await look.keys(`${namespace}:rl:login:*`)).length > 0, 'no login counter in Redis after the reconnect');
  });

  test('a login attempt that never ran is given back: an outage does not lock the owner out', async () => {
    const namespace = `t-refund-${randomUUID().slice(0, 8)}`;
    const client = createRedis(redis.url, log, 'limiter', { enableOfflineQueue: false });
    closers.push(() => client.disconnect());
    await waitFor('the limiter connection', () => client.status === 'ready');
    const logins = new LoginLimiter({
      store: new LimiterStore(client),
      namespace,
      limits: { accountMaxFailures: 1000, accountWindowS: 60, freeFailures: 2, backoffBaseS: 30, backoffMaxS: 60 },
    });
    // Ten attempts that each got `overloaded` (the queue refused them): each one is refunded.
    for (let i = 0; i < 10; i++) {
      await logins.admit('retrier@example.test', '10.0.0.4');
      await logins.refund('retrier@example.test', '10.0.0.4');
    }
    await logins.admit('retrier@example.test', '10.0.0.4');
    await logins.admit('retrier@example.test', '10.0.0.4');
    // Two real failures are still two: the third attempt is over the limit.
    await assert.rejects(logins.admit('retrier@example.test', '10.0.0.4'), (err: AppError) => err.code === 'rate_limited');
  });
});
