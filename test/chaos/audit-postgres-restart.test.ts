import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { createLogger } from '@authgate/shared/logger';
import { AmqpEventBus } from '@authgate/shared/events/amqp-bus';
import { newAuditEvent } from '@authgate/shared/events/schema';
import { startAuditWriter, type AuditWriterHandle } from '@authgate/audit';
import { freePort } from '../../scripts/cluster/ports.ts';
import { AMQP_URL, uniqueNamespace } from '../helpers/services.ts';
import { PrivatePostgres } from './services/private-postgres.ts';
import { openPostgres } from '@authgate/shared/db/database';

// The audit writer on a PostgreSQL of the test's own, restarted while events stream in through the
// machine's RabbitMQ: batches that fail go back to the queue, and afterwards events emitted = events
// stored, each once.

const log = createLogger({ level: 'silent', name: 'test' });
const EVENTS = 3000;

describe('audit events across a PostgreSQL restart', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authgate-audit-pg-'));
  const namespace = uniqueNamespace('audit-pg');
  let postgres: PrivatePostgres;
  let db: Db;
  let bus: AmqpEventBus;
  let writer: AuditWriterHandle | undefined;

  before(async () => {
    chmodSync(dir, 0o755); // PostgreSQL runs as its own user when the test runs as root
    postgres = new PrivatePostgres(await freePort(), path.join(dir, 'pg'));
    await postgres.init();
    await postgres.start();
    const admin = new pg.Client({ connectionString: postgres.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE authgate');
    await admin.end();
    db = openPostgres({ url: postgres.url('authgate'), poolSize: 10, log });
    await migrateToLatest(db);
    bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 1_000_000, publishTimeoutMs: 5_000, log });
    await bus.waitForConnect();
  });

  after(async () => {
    await writer?.stop();
    await bus?.close();
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.deleteQueue(`${namespace}.audit`);
    await channel.deleteExchange(`${namespace}.events`);
    await connection.close();
    await db?.destroy();
    await postgres?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async () => {
    const { rows } = await sql<{ rows: number; distinct: number }>`SELECT count(*)::int AS rows, count(DISTINCT id)::int AS distinct FROM audit_events`.execute(
      db,
    );
    return rows[0]!;
  };

  test('events published before, during and after the restart are all stored, once each', async () => {
    writer = await startAuditWriter({ AUDIT_BATCH_SIZE: 50, AUDIT_BATCH_WAIT_MS: 20, AUDIT_RETENTION_DAYS: 365 }, { events: bus, db, log });
    const emitted = Array.from({ length: EVENTS }, (_, i) => newAuditEvent({ type: 'login.succeeded', ip: '192.0.2.3', data: { i } }));
    let sent = 0;
    const publishing = (async () => {
      for (const event of emitted) {
        await bus.publish(event);
        sent++;
      }
    })();
    while (sent < EVENTS / 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await postgres.start();
    await publishing;
    const end = Date.now() + 90_000;
    for (;;) {
      const stored = await count().catch(() => ({ rows: 0, distinct: 0 }));
      if (stored.rows >= EVENTS) break;
      if (Date.now() > end) assert.fail(`only ${stored.rows} of ${EVENTS} events stored`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await count(), { rows: EVENTS, distinct: EVENTS });
    assert.ok(writer.stats.failedBatches > 0, 'the restart made some batches fail (and come back)');
  });
});
