import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import { sql } from 'kysely';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createLogger } from '@authgate/shared/logger';
import { AmqpEventBus } from '@authgate/shared/events/amqp-bus';
import { MemoryEventBus } from '@authgate/shared/events/memory-bus';
import { newAuditEvent, type AuditEvent, type NewAuditEvent } from '@authgate/shared/events/schema';
import type { EventBus } from '@authgate/shared/events/types';
import { startAuditWriter, type AuditWriterHandle } from '../src/index.ts';
import { AMQP_URL, uniqueNamespace } from '../../../test/helpers/services.ts';
import { log as silent, openTestDb, storedIds, waitFor, type TestDb } from './helpers.ts';

/**
 * Events PostgreSQL cannot store, put straight onto the bus (as a producer that skipped the edge's
 * checks would): the writer must split their batch, store every other event, set them aside
 * (counted, logged by id and type only, acknowledged) and never let them hold back what follows.
 */

/** In every poisoned value: no log line may hold it (a set-aside event is logged by id and type only). */
const MARKER = 'poison-marker';

const POISONS: ReadonlyArray<[string, Partial<NewAuditEvent>]> = [
  ['NUL in deviceId', { deviceId: `${MARKER}\u0000b` }],
  ['NUL in userAgent', { userAgent: `${MARKER}/1\u0000` }],
  ['NUL in ip', { ip: `\u0000${MARKER}` }],
  ['NUL in a data value', { data: { note: `${MARKER}\u0000` } }],
  ['NUL in a data key', { data: { [`${MARKER}\u0000`]: 1 } }],
  ['an unpaired surrogate deep in data', { data: { a: [{ b: `${MARKER}\ud800` }] } }],
  ['an unpaired surrogate in a data key', { data: { [`\udc00${MARKER}`]: true } }],
];

const good = (userId: string, i: number): AuditEvent => newAuditEvent({ type: 'login.succeeded', userId, ip: '192.0.2.9', deviceId: `dev-${i}`, data: { i } });
const poisoned = (userId: string): AuditEvent[] => POISONS.map(([, fields]) => newAuditEvent({ type: 'login.failed', userId, ...fields }));

interface Driver {
  name: string;
  db: TestDb['kind'];
  bus(): Promise<EventBus>;
  /** Events still on the bus, unacknowledged, once no writer consumes. */
  left(bus: EventBus): Promise<number>;
  cleanup(): Promise<void>;
}

const memory = (db: TestDb['kind']): Driver => ({
  name: `memory bus, ${db}`,
  db,
  bus: async () => new MemoryEventBus({ maxLength: 100_000, log: silent }),
  left: async (bus) => (bus as MemoryEventBus).depth,
  cleanup: async () => {},
});

function amqp(): Driver {
  const namespaces: string[] = [];
  const buses: AmqpEventBus[] = [];
  return {
    name: 'RabbitMQ bus, postgres',
    db: 'postgres',
    async bus() {
      const namespace = uniqueNamespace('audit-poison');
      const bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 100_000, publishTimeoutMs: 5_000, log: silent });
      await bus.waitForConnect();
      namespaces.push(namespace);
      buses.push(bus);
      return bus;
    },
    async left(bus) {
      const connection = await amqplib.connect(AMQP_URL);
      const channel = await connection.createChannel();
      const { messageCount } = await channel.checkQueue((bus as AmqpEventBus).queue);
      await connection.close();
      return messageCount;
    },
    async cleanup() {
      for (const bus of buses) await bus.close();
      const connection = await amqplib.connect(AMQP_URL);
      const channel = await connection.createChannel();
      for (const namespace of namespaces) {
        await channel.deleteQueue(`${namespace}.audit`);
        await channel.deleteExchange(`${namespace}.events`);
      }
      await connection.close();
    },
  };
}

/** A logger whose every line is kept, to read what the writer said about a set-aside event. */
function capturingLogger() {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', name: 'audit-poison-test', destination: { write: (line: string) => void lines.push(line) } });
  return { log, lines };
}

for (const driver of [memory('postgres'), memory('pglite'), amqp()]) {
  describe(`audit writer and events PostgreSQL cannot store: ${driver.name}`, () => {
    let t: TestDb;
    const writers: AuditWriterHandle[] = [];
    before(async () => {
      t = await openTestDb(driver.db, 'audit-poison');
    });
    after(async () => {
      for (const writer of writers) await writer.stop();
      await driver.cleanup();
      await t?.close();
    });

    const start = async (bus: EventBus, log = silent, metrics?: Registry, batch = { size: 100, waitMs: 300 }) => {
      const writer = await startAuditWriter(
        { AUDIT_BATCH_SIZE: batch.size, AUDIT_BATCH_WAIT_MS: batch.waitMs, AUDIT_RETENTION_DAYS: 365 },
        { events: bus, db: t.db, log, metrics },
      );
      writers.push(writer);
      return writer;
    };

    test('a batch holding poisoned events is split: every other event stored, each poison set aside (counted, logged by id and type), nothing left on the bus', async () => {
      await sql`TRUNCATE audit_events`.execute(t.db);
      const bus = await driver.bus();
      const userId = randomUUID();
      const goods = Array.from({ length: 40 }, (_, i) => good(userId, i));
      const poisons = poisoned(userId);
      // Interleaved, all published before the writer starts: they come to it as one batch.
      const sent = goods.flatMap((e, i) => (i % 6 === 3 && poisons[(i - 3) / 6] ? [e, poisons[(i - 3) / 6]!] : [e]));
      assert.equal(sent.length, goods.length + poisons.length);
      for (const e of sent) await bus.publish(e);

      const { log, lines } = capturingLogger();
      const registry = new Registry();
      const writer = await start(bus, log, registry);
      await waitFor('the good events stored and the poisons set aside', () => writer.stats.stored === goods.length && writer.stats.setAside === poisons.length);
      assert.equal(writer.stats.batches, 1, 'one batch, written in parts');
      assert.equal(writer.stats.splitBatches, 1, 'that batch was split');
      assert.equal(writer.stats.failedBatches, 0, 'nothing was put back on the bus');
      const stored = new Set(await storedIds(t.db));
      assert.deepEqual(stored, new Set(goods.map((e) => e.id)), 'every good event stored, no poison');

      // What follows is not held back: a later event is stored.
      const later = good(randomUUID(), 99);
      await bus.publish(later);
      await waitFor('the later event stored', async () => (await storedIds(t.db)).includes(later.id));

      const metrics = await registry.metrics();
      assert.match(metrics, new RegExp(`^authgate_audit_events_set_aside_total ${poisons.length}$`, 'm'));
      const setAside = lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'audit event set aside: PostgreSQL cannot store it');
      assert.deepEqual(new Set(setAside.map((line) => line.eventId)), new Set(poisons.map((e) => e.id)), 'each poison logged by its id');
      for (const line of setAside) {
        assert.equal(line.type, 'login.failed');
        assert.match(line.sqlState, /^22/);
      }
      assert.ok(!lines.some((line) => line.includes(MARKER)), 'no log line holds what the poisoned event carried');

      await writer.stop();
      writers.splice(writers.indexOf(writer), 1);
      assert.equal(await driver.left(bus), 0, 'every event acknowledged, poisons included: nothing comes back');
    });

    test('PostgreSQL away (not a data error) with a poison in the batch: nothing set aside or acknowledged; once back, the good events stored and the poison set aside', async () => {
      await sql`TRUNCATE audit_events`.execute(t.db);
      const bus = await driver.bus();
      const userId = randomUUID();
      const goods = Array.from({ length: 20 }, (_, i) => good(userId, i));
      const [poison] = poisoned(userId);
      await sql`ALTER TABLE audit_events RENAME TO audit_events_away`.execute(t.db);
      const writer = await start(bus, silent, undefined, { size: 50, waitMs: 20 });
      for (const e of [...goods.slice(0, 10), poison!, ...goods.slice(10)]) await bus.publish(e);
      await waitFor('failed writes', () => writer.stats.failedBatches >= 2);
      await writer.stop();
      writers.splice(writers.indexOf(writer), 1);
      assert.equal(writer.stats.setAside, 0, 'a table away is no reason to set an event aside');
      assert.equal(await driver.left(bus), goods.length + 1, 'every event is back on the bus: none was acknowledged');
      await sql`ALTER TABLE audit_events_away RENAME TO audit_events`.execute(t.db);
      const again = await start(bus, silent, undefined, { size: 50, waitMs: 20 });
      await waitFor('the good events stored', async () => (await storedIds(t.db)).length >= goods.length && again.stats.setAside === 1);
      assert.deepEqual(new Set(await storedIds(t.db)), new Set(goods.map((e) => e.id)));
    });

    if (driver.db === 'postgres') {
      test("the writer's connections cut (pg_terminate_backend) while poisoned batches are split: every good event stored once, no poison stored", async () => {
        await sql`TRUNCATE audit_events`.execute(t.db);
        const bus = await driver.bus();
        const writer = await start(bus, silent, undefined, { size: 40, waitMs: 10 });
        const userId = randomUUID();
        const sent = Array.from({ length: 1200 }, (_, i) => good(userId, i));
        // A poison of each kind in turn, one in every 30 events.
        const poisons = sent.filter((_, i) => i % 30 === 7).map((_, n) => poisoned(userId)[n % POISONS.length]!);
        const all = sent.flatMap((e, i) => (i % 30 === 7 ? [poisons[(i - 7) / 30]!, e] : [e]));
        const admin = new pg.Client({ connectionString: t.url });
        await admin.connect();
        let cuts = 0;
        for (const [i, e] of all.entries()) {
          await bus.publish(e);
          if (i % 200 === 199) {
            const { rowCount } = await admin.query(
              'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
            );
            cuts += rowCount ?? 0;
          }
        }
        await admin.end();
        await waitFor(
          'every good event stored and every poison set aside',
          async () => (await storedIds(t.db).catch(() => [])).length >= sent.length && writer.stats.setAside >= poisons.length,
          60_000,
        );
        await writer.stop();
        writers.splice(writers.indexOf(writer), 1);
        assert.ok(cuts > 0, 'connections were cut');
        const ids = await storedIds(t.db);
        assert.equal(ids.length, sent.length, 'each good event stored once');
        assert.deepEqual(new Set(ids), new Set(sent.map((e) => e.id)), 'no poison stored');
        assert.equal(await driver.left(bus), 0, 'nothing left on the bus');
      });
    }
  });
}
