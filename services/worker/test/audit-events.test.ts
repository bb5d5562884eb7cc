import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@authgate/shared/config';
import { createLogger } from '@authgate/shared/logger';
import type { Command, CommandKind, Result, TokenPair } from '@authgate/shared/protocol';
import { composeDrivers, type Drivers } from '@authgate/shared/composition';
import { MemoryEventBus } from '@authgate/shared/events/memory-bus';
import type { AuditEvent } from '@authgate/shared/events/schema';
import type { EventConsumer } from '@authgate/shared/events/types';
import { startWorker, type WorkerHandle } from '../src/index.ts';
import { createTestDatabase, tempDir } from '../../../test/helpers/services.ts';

const log = createLogger({ level: 'silent', name: 'worker-audit-test' });
const NODE_ID = 'node-audit';
const PASSWORD = 'correct horse battery';

describe('worker: each auth action is one audit event on the bus, without a credential', () => {
  const tmp = tempDir('worker-audit');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let worker: WorkerHandle;
  const events = new MemoryEventBus({ maxLength: 10_000, log });
  let drivers: Drivers;
  const received = new Map<string, Result>();
  const published: AuditEvent[] = [];
  let consumer: EventConsumer;

  before(async () => {
    database = await createTestDatabase('worker_audit');
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: tmp.dir, DATABASE_URL: database.url, BCRYPT_COST: '4', REFRESH_GRACE_MS: '0' }, 'worker');
    drivers = await composeDrivers(config, 'worker', log);
    // The test's own bus in place of the composed one, to read what the worker publishes.
    worker = await startWorker(config, { ...drivers.worker(), events, log });
    await drivers.worker().results.subscribe(NODE_ID, (r) => received.set(r.requestId, r));
    consumer = await events.consume(async (batch) => void published.push(...batch.map((d) => d.event)), { maxBatchSize: 100, maxWaitMs: 10 });
  });
  after(async () => {
    await worker?.stop();
    await consumer?.stop();
    await drivers?.close();
    await events.close();
    await database?.drop();
    tmp.remove();
  });

  const dataOf = <T>(result: Result): T => {
    assert.ok(result.ok, JSON.stringify(result));
    return result.data as T;
  };

  async function run(kind: CommandKind, body: Record<string, unknown>): Promise<{ result: Result; command: Command }> {
    const command: Command = {
      v: 1,
      requestId: randomUUID(),
      kind,
      body,
      replyTo: { nodeId: NODE_ID },
      deadline: Date.now() + 10_000,
      meta: { ip: '198.51.100.9' },
    };
    await drivers.worker().queue.publish(command);
    const end = Date.now() + 10_000;
    while (!received.has(command.requestId)) {
      if (Date.now() > end) assert.fail(`no result for ${kind}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { result: received.get(command.requestId)!, command };
  }

  async function eventsOf(requestId: string, count = 1): Promise<AuditEvent[]> {
    const end = Date.now() + 5_000;
    for (;;) {
      const found = published.filter((e) => e.data.requestId === requestId);
      if (found.length >= count || Date.now() > end) return found;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  test('register, login (succeeded, failed, unknown email), refresh reuse and logout map onto the contract audit types', async () => {
    const email = `u-${randomBytes(5).toString('hex')}@example.test`;
    const reg = await run('register', { email, password: PASSWORD });
    const userId = dataOf<{ userId: string }>(reg.result).userId;
    assert.deepEqual(
      (await eventsOf(reg.command.requestId)).map((e) => [e.type, e.userId, e.ip]),
      [['register', userId, '198.51.100.9']],
    );

    const login = await run('login', { email, password: PASSWORD, deviceId: 'laptop-1' });
    const pair = dataOf<TokenPair>(login.result);
    const [ok] = await eventsOf(login.command.requestId);
    assert.deepEqual([ok?.type, ok?.userId, ok?.sessionId, ok?.deviceId], ['login.succeeded', userId, pair.sessionId, 'laptop-1']);

    const wrong = await run('login', { email, password: 'wrong password here' });
    assert.deepEqual(
      (await eventsOf(wrong.command.requestId)).map((e) => [e.type, e.userId]),
      [['login.failed', userId]],
    );
    const unknown = await run('login', { email: `nobody-${randomBytes(4).toString('hex')}@example.test`, password: PASSWORD });
    const [anon] = await eventsOf(unknown.command.requestId);
    assert.equal(anon?.type, 'login.failed');
    assert.equal(anon?.userId, undefined);

    // A refresh is not an audit event; presenting the replaced token again is.
    const refreshed = await run('refresh', { refreshToken: pair.refreshToken });
    assert.equal(refreshed.result.status, 200);
    assert.deepEqual(await eventsOf(refreshed.command.requestId), []);
    const reuse = await run('refresh', { refreshToken: pair.refreshToken });
    assert.equal(reuse.result.status, 401);
    assert.deepEqual(
      (await eventsOf(reuse.command.requestId)).map((e) => [e.type, e.userId, e.sessionId]),
      [['refresh.reuse_detected', userId, pair.sessionId]],
    );

    const second = dataOf<TokenPair>((await run('login', { email, password: PASSWORD, deviceId: 'laptop-1' })).result);
    const logout = await run('logout', { refreshToken: second.refreshToken });
    assert.equal(logout.result.status, 204);
    assert.deepEqual(
      (await eventsOf(logout.command.requestId)).map((e) => [e.type, e.userId, e.sessionId]),
      [['logout', userId, second.sessionId]],
    );

    // No password, token or hash in any event.
    const text = JSON.stringify(published);
    for (const secret of [PASSWORD, pair.refreshToken, pair.accessToken, second.refreshToken, '$2b$'])
      assert.ok(!text.includes(secret), 'a credential in an event');
    for (const e of published) assert.ok(e.id && e.at, 'id and at set');
  });
});
