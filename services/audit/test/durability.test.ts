import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import amqplib from 'amqplib';
import { sql } from 'kysely';
import pg from 'pg';
import { AmqpEventBus } from '@authgate/shared/events/amqp-bus';
import { newAuditEvent, type AuditEvent } from '@authgate/shared/events/schema';
import { AuditStore, startAuditWriter } from '../src/index.ts';
import { AMQP_URL, uniqueNamespace } from '../../../test/helpers/services.ts';
import { log, openTestDb, sleep, storedIds, waitFor, type TestDb } from './helpers.ts';

const CHILD = path.join(import.meta.dirname, 'writer-process.ts');

async function deleteTopology(namespace: string): Promise<void> {
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.deleteQueue(`${namespace}.audit`);
  await channel.deleteExchange(`${namespace}.events`);
  await connection.close();
}

/** Messages ready in the audit queue (unacknowledged ones are not counted until they come back). */
async function readyInQueue(namespace: string): Promise<number> {
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  const { messageCount } = await channel.checkQueue(`${namespace}.audit`);
  await connection.close();
  return messageCount;
}

async function countRows(t: TestDb): Promise<{ rows: number; distinct: number }> {
  const { rows } = await sql<{ rows: number; distinct: number }>`SELECT count(*)::int AS rows, count(DISTINCT id)::int AS distinct FROM audit_events`.execute(
    t.db,
  );
  return rows[0]!;
}

const batchOf = (n: number): AuditEvent[] => Array.from({ length: n }, (_, i) => newAuditEvent({ type: 'login.failed', ip: '192.0.2.1', data: { i } }));

describe('audit writer durability: RabbitMQ and PostgreSQL, nothing lost, nothing twice', () => {
  let t: TestDb;
  let bus: AmqpEventBus;
  const namespace = uniqueNamespace('audit-dur');
  const children: ChildProcess[] = [];

  before(async () => {
    t = await openTestDb('postgres', 'audit_durability');
    bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 1_000_000, publishTimeoutMs: 5_000, log });
    await bus.waitForConnect();
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await bus?.close();
    await deleteTopology(namespace);
    await t?.close();
  });

  async function startChild(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, CHILD_AMQP_URL: AMQP_URL, CHILD_NAMESPACE: namespace, CHILD_DATABASE_URL: t.url!, CHILD_BATCH_SIZE: '50' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the writer process to consume', () => out.includes('ready') || child.exitCode !== null, 60_000);
    assert.equal(child.exitCode, null, 'the writer process died at start');
    return child;
  }

  test('a writer process killed (SIGKILL) mid-stream: after a restart, events emitted = events stored, no duplicates', async () => {
    await sql`TRUNCATE audit_events`.execute(t.db);
    const emitted = batchOf(4000);
    const first = await startChild();
    // Published while the writer works, so it dies with batches in hand and unacknowledged.
    const publishing = (async () => {
      for (const e of emitted) await bus.publish(e);
    })();
    await waitFor('some events stored', async () => (await countRows(t)).rows >= 500, 60_000);
    first.kill('SIGKILL');
    await once(first, 'exit');
    await publishing;
    const atKill = (await countRows(t)).rows;
    assert.ok(atKill < emitted.length, `the kill came before the end (${atKill} stored)`);
    await startChild();
    await waitFor('every event stored', async () => (await countRows(t)).rows >= emitted.length, 60_000);
    await sleep(500);
    const { rows, distinct } = await countRows(t);
    assert.equal(rows, emitted.length, 'events stored = events emitted');
    assert.equal(distinct, rows, 'no duplicates');
    assert.deepEqual(new Set(await storedIds(t.db)), new Set(emitted.map((e) => e.id)));
    children.at(-1)!.kill('SIGKILL');
    await once(children.at(-1)!, 'exit');
  });

  test('a batch written but not acknowledged (its writer died between the two) is stored once on redelivery', async () => {
    await sql`TRUNCATE audit_events`.execute(t.db);
    const store = new AuditStore(t.db);
    const emitted = batchOf(30);
    for (const e of emitted) await bus.publish(e);
    let attempts = 0;
    const dying = await bus.consume(
      async (batch) => {
        attempts++;
        await store.insert(batch.map((d) => d.event));
        throw new Error('died after the commit, before the ack');
      },
      { maxBatchSize: 30, maxWaitMs: 20, retryDelayMs: 10 },
    );
    await waitFor('the first write', () => attempts >= 1);
    await dying.stop();
    const writer = await startAuditWriter({ AUDIT_BATCH_SIZE: 30, AUDIT_BATCH_WAIT_MS: 20, AUDIT_RETENTION_DAYS: 365 }, { events: bus, db: t.db, log });
    await waitFor('the redelivery', () => writer.stats.duplicates >= 30);
    await writer.stop();
    assert.deepEqual(await countRows(t), { rows: 30, distinct: 30 });
    assert.equal(writer.stats.stored, 0, 'nothing new: every redelivered event was there already');
  });

  test('PostgreSQL refusing the write: nothing is acknowledged, and every event is stored once when it comes back', async () => {
    await sql`TRUNCATE audit_events`.execute(t.db);
    const writer = await startAuditWriter({ AUDIT_BATCH_SIZE: 25, AUDIT_BATCH_WAIT_MS: 20, AUDIT_RETENTION_DAYS: 365 }, { events: bus, db: t.db, log });
    // The table is away (renamed under an exclusive lock): every INSERT fails.
    await sql`ALTER TABLE audit_events RENAME TO audit_events_away`.execute(t.db);
    const emitted = batchOf(100);
    for (const e of emitted) await bus.publish(e);
    await waitFor('failed writes', () => writer.stats.failedBatches >= 2);
    await writer.stop();
    assert.equal(await readyInQueue(namespace), 100, 'every event is back in the queue: none was acknowledged');
    await sql`ALTER TABLE audit_events_away RENAME TO audit_events`.execute(t.db);
    const again = await startAuditWriter({ AUDIT_BATCH_SIZE: 25, AUDIT_BATCH_WAIT_MS: 20, AUDIT_RETENTION_DAYS: 365 }, { events: bus, db: t.db, log });
    await waitFor('every event stored', async () => (await countRows(t)).rows >= 100);
    await again.stop();
    assert.deepEqual(await countRows(t), { rows: 100, distinct: 100 });
  });

  test("the writer's PostgreSQL connections cut (pg_terminate_backend) while it writes: every event stored once", async () => {
    await sql`TRUNCATE audit_events`.execute(t.db);
    const writer = await startAuditWriter({ AUDIT_BATCH_SIZE: 20, AUDIT_BATCH_WAIT_MS: 10, AUDIT_RETENTION_DAYS: 365 }, { events: bus, db: t.db, log });
    const emitted = batchOf(2000);
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    let cuts = 0;
    const publishing = (async () => {
      for (const [i, e] of emitted.entries()) {
        await bus.publish(e);
        if (i % 400 === 399) {
          const { rowCount } = await admin.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
          );
          cuts += rowCount ?? 0;
        }
      }
    })();
    await publishing;
    await admin.end();
    await waitFor('every event stored', async () => (await countRows(t).catch(() => ({ rows: 0 }))).rows >= emitted.length, 60_000);
    await writer.stop();
    assert.ok(cuts > 0, 'connections were cut');
    assert.deepEqual(await countRows(t), { rows: 2000, distinct: 2000 });
  });
});
