import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import { createLogger } from '@authgate/shared/logger';
import { AmqpEventBus } from '@authgate/shared/events/amqp-bus';
import { MemoryEventBus } from '@authgate/shared/events/memory-bus';
import { newAuditEvent, type AuditEvent } from '@authgate/shared/events/schema';
import type { BatchOptions, EventBus, EventDelivery } from '@authgate/shared/events/types';
import { AMQP_URL, uniqueNamespace } from '../../test/helpers/services.ts';

const log = createLogger({ level: 'silent', name: 'events-test' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const event = (n: number): AuditEvent => newAuditEvent({ type: 'app.test', userId: randomUUID(), ip: '192.0.2.1', data: { n } });

interface Driver {
  name: string;
  /** A fresh bus with nothing in it, nobody consuming. */
  bus(): Promise<EventBus>;
  cleanup(): Promise<void>;
}

function memoryDriver(): Driver {
  return { name: 'memory', bus: async () => new MemoryEventBus({ maxLength: 10_000, log }), cleanup: async () => {} };
}

/** `quorum`: the queue of a RabbitMQ cluster (QUEUE_TYPE=quorum), here on the machine's single node. */
function amqpDriver(queueType: 'classic' | 'quorum'): Driver {
  const opened: Array<{ bus: AmqpEventBus; namespace: string }> = [];
  return {
    name: `amqp (${queueType})`,
    async bus() {
      const namespace = uniqueNamespace('events');
      const bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 10_000, publishTimeoutMs: 5_000, queueType, log });
      await bus.waitForConnect();
      opened.push({ bus, namespace });
      return bus;
    },
    async cleanup() {
      const connection = await amqplib.connect(AMQP_URL);
      const channel = await connection.createChannel();
      for (const { bus, namespace } of opened) {
        await bus.close();
        await channel.deleteQueue(`${namespace}.audit`);
        await channel.deleteExchange(`${namespace}.events`);
      }
      await connection.close();
    },
  };
}

for (const driver of [memoryDriver(), amqpDriver('classic'), amqpDriver('quorum')]) {
  describe(`EventBus contract: ${driver.name}`, () => {
    after(() => driver.cleanup());

    test('a published event reaches the consumer whole, and once acknowledged it is gone', async () => {
      const bus = await driver.bus();
      const sent = event(1);
      await bus.publish(sent);
      const got: EventDelivery[] = [];
      const consumer = await bus.consume(async (batch) => void got.push(...batch), { maxBatchSize: 10, maxWaitMs: 20 });
      await waitFor('the event', () => got.length === 1);
      assert.deepEqual(got[0]!.event, sent);
      assert.equal(got[0]!.redelivered, false);
      await sleep(100);
      await consumer.stop();
      const again: EventDelivery[] = [];
      const second = await bus.consume(async (batch) => void again.push(...batch), { maxBatchSize: 10, maxWaitMs: 20 });
      await sleep(300);
      await second.stop();
      assert.equal(again.length, 0, 'an acknowledged event is not handed out again');
    });

    test('batches are cut by size, and a partial batch leaves after maxWaitMs', async () => {
      const bus = await driver.bus();
      const sizes: number[] = [];
      const options: BatchOptions = { maxBatchSize: 4, maxWaitMs: 300 };
      for (let i = 0; i < 10; i++) await bus.publish(event(i));
      const consumer = await bus.consume(async (batch) => void sizes.push(batch.length), options);
      await waitFor('all ten', () => sizes.reduce((a, b) => a + b, 0) === 10);
      await consumer.stop();
      assert.ok(
        sizes.every((s) => s <= 4),
        `sizes ${sizes}`,
      );
      assert.equal(sizes[0], 4, `a full batch first: ${sizes}`);
      // One lone event still leaves, by age.
      const lone: number[] = [];
      const timed = await bus.consume(async (batch) => void lone.push(batch.length), { maxBatchSize: 100, maxWaitMs: 50 });
      await bus.publish(event(99));
      await waitFor('the lone event', () => lone.length === 1);
      await timed.stop();
    });

    test('a failed batch goes back whole and comes again marked redelivered, then is acknowledged once', async () => {
      const bus = await driver.bus();
      const sent = [event(1), event(2), event(3)];
      for (const e of sent) await bus.publish(e);
      let calls = 0;
      const stored: EventDelivery[] = [];
      const consumer = await bus.consume(
        async (batch) => {
          calls++;
          if (calls === 1) throw new Error('database away');
          stored.push(...batch);
        },
        { maxBatchSize: 3, maxWaitMs: 50, retryDelayMs: 50 },
      );
      await waitFor('the second try', () => stored.length === 3);
      await sleep(300);
      await consumer.stop();
      assert.deepEqual(stored.map((d) => d.event.id).sort(), sent.map((e) => e.id).sort());
      assert.ok(
        stored.every((d) => d.redelivered),
        'marked redelivered',
      );
      assert.equal(stored.length, 3, 'acknowledged once: not handed out a third time');
    });

    test('a consumer stopped with events in hand returns them unacknowledged to the next one', async () => {
      const bus = await driver.bus();
      for (let i = 0; i < 6; i++) await bus.publish(event(i));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered = false;
      const first = await bus.consume(
        async () => {
          entered = true;
          await gate;
          throw new Error('killed before its write committed');
        },
        { maxBatchSize: 6, maxWaitMs: 20, retryDelayMs: 10 },
      );
      await waitFor('the batch in hand', () => entered);
      const stopping = first.stop();
      release();
      await stopping;
      const ids: string[] = [];
      const second = await bus.consume(async (batch) => void ids.push(...batch.map((d) => d.event.id)), { maxBatchSize: 10, maxWaitMs: 20 });
      await waitFor('the six events again', () => ids.length === 6);
      await sleep(200);
      await second.stop();
      assert.equal(new Set(ids).size, 6);
    });

    test('an event that breaks the schema is refused at publish', async () => {
      const bus = await driver.bus();
      await assert.rejects(bus.publish({ ...event(1), type: 'made.up' } as unknown as AuditEvent));
      await assert.rejects(bus.publish({ ...event(1), data: { password: 'hunter22' } }));
      assert.equal(await bus.ready(), true);
    });

    // The bus carries; the audit writer decides what PostgreSQL can store (services/audit: it sets
    // such an event aside). Both drivers must hand it over unchanged, so that decision is the same.
    test('an event holding text PostgreSQL cannot store (U+0000, unpaired surrogates) reaches the consumer unchanged', async () => {
      const bus = await driver.bus();
      const sent = newAuditEvent({
        type: 'login.failed',
        deviceId: 'a\u0000b',
        userAgent: 'ua\ud800',
        data: { value: 'x\u0000', 'k\udc00': ['\ud83d', 'pair 😀'] },
      });
      await bus.publish(sent);
      const got: EventDelivery[] = [];
      const consumer = await bus.consume(async (batch) => void got.push(...batch), { maxBatchSize: 10, maxWaitMs: 20 });
      await waitFor('the event', () => got.length === 1);
      await consumer.stop();
      assert.deepEqual(got[0]!.event, sent);
    });
  });
}

// The in-process driver's own queue: a large backlog (the writer behind a slow database) drains in
// linear time. Array#shift made it quadratic: 100k events took the writer ~50 s instead of ~4 s.
test('in-process bus: a backlog of 50,000 drains whole, each event once, a failed batch put back', async () => {
  const bus = new MemoryEventBus({ maxLength: 100_000, log });
  const sent = Array.from({ length: 50_000 }, (_, i) => event(i));
  for (const e of sent) await bus.publish(e);
  let failures = 0;
  let failed = false;
  const ids: string[] = [];
  const consumer = await bus.consume(
    async (batch) => {
      if (ids.length >= 20_000 && !failed) {
        failed = true;
        failures++;
        throw new Error('database away once');
      }
      ids.push(...batch.map((d) => d.event.id));
    },
    { maxBatchSize: 250, maxWaitMs: 20, retryDelayMs: 10 },
  );
  await waitFor('the backlog drained', () => ids.length >= 50_000, 30_000);
  await sleep(200);
  await consumer.stop();
  assert.equal(failures, 1);
  assert.equal(ids.length, 50_000, 'each once');
  assert.deepEqual(new Set(ids), new Set(sent.map((e) => e.id)), 'every event');
});

test('QUEUE_TYPE=quorum declares the audit queue as a quorum queue', async () => {
  const namespace = uniqueNamespace('events-q');
  const bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 10_000, publishTimeoutMs: 5_000, queueType: 'quorum', log });
  await bus.waitForConnect();
  await bus.publish(event(1));
  const connection = await amqplib.connect(AMQP_URL);
  try {
    // Declaring the same queue as a classic one is refused: the broker holds it as quorum.
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    await assert.rejects(
      channel.assertQueue(`${namespace}.audit`, {
        durable: true,
        arguments: { 'x-max-length': 10_000, 'x-overflow': 'reject-publish', 'x-queue-type': 'classic' },
      }),
      /PRECONDITION_FAILED.*x-queue-type/,
    );
    const cleanup = await connection.createChannel();
    await cleanup.deleteQueue(`${namespace}.audit`);
    await cleanup.deleteExchange(`${namespace}.events`);
  } finally {
    await bus.close();
    await connection.close();
  }
});

describe('audit event schema', () => {
  test('types are the contract list or app.<name>; credentials in data are refused by name and by shape', () => {
    assert.equal(newAuditEvent({ type: 'login.succeeded' }).type, 'login.succeeded');
    assert.equal(newAuditEvent({ type: 'app.checkout.done', data: { cart: 3 } }).type, 'app.checkout.done');
    assert.throws(() => newAuditEvent({ type: 'app.' as 'app.x' }));
    assert.throws(() => newAuditEvent({ type: 'App.X' as 'app.x' }));
    for (const data of <Array<AuditEvent['data']>>[
      { password: 'x' },
      { code: '123456' },
      { nested: { refreshToken: 'x' } },
      { note: `rt1.${randomUUID()}.${'a'.repeat(43)}` },
      { jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' },
    ]) {
      assert.throws(() => newAuditEvent({ type: 'app.x', data }), JSON.stringify(data));
    }
    assert.throws(() => newAuditEvent({ type: 'app.x', data: { blob: 'x'.repeat(4100) } }), 'over 4 KB');
    const e = newAuditEvent({ type: 'app.x', data: { postcode: 'SW1', footprint: 2 } });
    assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'a UUIDv7');
  });
});
