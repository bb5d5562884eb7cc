import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { AppError } from '@authgate/shared/errors';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { LeasedPerMinuteLimiter, leaseSizeFor } from '@authgate/shared/security/leased-limiter';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../test/helpers/services.ts';

// The edge's per-IP limit spent from leases of the shared Redis counter, so that a request does not
// wait for a Redis round trip: two edges, each with its own Redis client and leases, against one
// real Redis, must still never let an IP past the limit.

describe('per-IP lease of the shared limit (real Redis, two edges)', () => {
  const namespace = uniqueNamespace('lease');
  const prefix = `${namespace}:rl:ip`;
  const clients: Redis[] = [];
  const limiters: LeasedPerMinuteLimiter[] = [];
  const edge = (perMinute: number) => {
    const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
    clients.push(client);
    const limiter = new LeasedPerMinuteLimiter(new LimiterStore(client), prefix, perMinute);
    limiters.push(limiter);
    return limiter;
  };
  const counter = async (ip: string) => Number(await clients[0]!.get(`${prefix}:${ip}`));
  const connected = () => Promise.all(clients.map((c) => (c.status === 'ready' ? undefined : new Promise((resolve) => c.once('ready', resolve)))));
  /** How many of `count` requests from `ip`, sent `inFlight` at a time alternately to the edges, were let through. */
  async function admitted(edges: LeasedPerMinuteLimiter[], ip: string, count: number, inFlight: number): Promise<number> {
    let passed = 0;
    for (let sent = 0; sent < count; sent += inFlight) {
      const answers = await Promise.allSettled(
        Array.from({ length: Math.min(inFlight, count - sent) }, (_, i) => edges[(sent + i) % edges.length]!.consume(ip)),
      );
      for (const answer of answers) {
        if (answer.status === 'fulfilled') passed++;
        else assert.ok(answer.reason instanceof AppError && answer.reason.code === 'rate_limited', `refused as rate_limited, not ${answer.reason}`);
      }
    }
    return passed;
  }
  after(async () => {
    for (const limiter of limiters) limiter.close();
    await Promise.all(clients.map((c) => c.quit()));
    await cleanupNamespace(namespace).catch(() => {});
  });

  test('a request is spent from the lease: the shared counter moves once per lease, not per request', async () => {
    const a = edge(60_000);
    await connected();
    const ip = '192.0.2.1';
    await a.consume(ip);
    assert.equal(await counter(ip), leaseSizeFor(60_000), 'one lease taken');
    for (let i = 0; i < 10; i++) await a.consume(ip);
    assert.equal(await counter(ip), leaseSizeFor(60_000), 'ten more requests, no more points taken');
  });

  for (const [perMinute, label] of [
    [60_000, 'a high limit'],
    [600, 'the default limit (a lease of 2)'],
  ] as const) {
    test(`two edges share one limit, ${label}: never more than it, refused only while the other edge holds at most 1.5 leases`, async () => {
      const edges = [edge(perMinute), edge(perMinute)];
      await connected();
      const ip = `192.0.2.${perMinute === 600 ? 12 : 2}`;
      const passed = await admitted(edges, ip, perMinute + Math.max(40, perMinute / 30), Math.min(250, perMinute / 15));
      const lease = leaseSizeFor(perMinute);
      assert.ok(lease >= 2, `a lease of ${lease}`);
      assert.ok(passed <= perMinute, `${passed} admitted, limit ${perMinute}`);
      assert.ok(passed >= perMinute - 1.5 * lease, `${passed} admitted: more than 1.5 leases (${1.5 * lease}) under the limit`);
      for (const e of edges) await assert.rejects(e.consume(ip), (err: AppError) => err.code === 'rate_limited' && Number(err.retryAfter) >= 1);
      assert.equal(await admitted(edges, `198.51.100.${perMinute === 600 ? 13 : 3}`, 10, 10), 10, 'another IP has its own limit');
    });
  }

  test('at the default limit one client in turn spends its lease: the counter moves once per two requests', async () => {
    const single = edge(600);
    await connected();
    const ip = '192.0.2.20';
    for (let i = 0; i < 20; i++) await single.consume(ip);
    // Taken ahead: the lease being spent, and the next one taken in the background when half is gone.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const counted = await counter(ip);
    // Counted per request, it would be exactly 20.
    assert.ok(counted > 20 && counted <= 20 + 2 * leaseSizeFor(600), `${counted} points counted for 20 requests`);
  });

  test('a limit below 600 a minute is counted per request, exactly across the edges', async () => {
    assert.equal(leaseSizeFor(300), 1);
    assert.equal(leaseSizeFor(599), 1);
    const edges = [edge(300), edge(300)];
    await connected();
    assert.equal(await admitted(edges, '192.0.2.4', 320, 40), 300);
  });
});
