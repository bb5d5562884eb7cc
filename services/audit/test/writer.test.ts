import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { MemoryEventBus } from '@authgate/shared/events/memory-bus';
import { newAuditEvent, type AuditEvent } from '@authgate/shared/events/schema';
import { listPartitions, monthStart, nextMonth, partitionName, startAuditWriter, type AuditWriterHandle } from '../src/index.ts';
import { log, openTestDb, sleep, storedIds, waitFor, type TestDb } from './helpers.ts';

const config = { AUDIT_BATCH_SIZE: 50, AUDIT_BATCH_WAIT_MS: 20, AUDIT_RETENTION_DAYS: 90 };

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`audit writer on ${kind} (memory bus)`, () => {
    let t: TestDb;
    let bus: MemoryEventBus;
    let writer: AuditWriterHandle;

    before(async () => {
      t = await openTestDb(kind, 'audit-writer');
      bus = new MemoryEventBus({ maxLength: 100_000, log });
      writer = await startAuditWriter(config, { events: bus, db: t.db, log });
    });
    after(async () => {
      await writer?.stop();
      await bus?.close();
      await t?.close();
    });

    test('the current and next months have their partitions from the start', async () => {
      const months = (await listPartitions(t.db)).map((p) => p.name);
      const now = monthStart(new Date());
      assert.ok(months.includes(partitionName(now)) && months.includes(partitionName(nextMonth(now))), months.join());
    });

    test('published events are stored once each, with every field; the same event published twice is stored once', async () => {
      const userId = randomUUID();
      const sent: AuditEvent[] = [];
      for (let i = 0; i < 120; i++) {
        sent.push(
          newAuditEvent({
            type: i % 2 ? 'login.succeeded' : 'login.failed',
            userId,
            sessionId: randomUUID(),
            deviceId: 'dev-1',
            ip: '192.0.2.7',
            userAgent: 'test/1',
            data: { i },
          }),
        );
      }
      for (const e of sent) await bus.publish(e);
      for (const e of sent.slice(0, 30)) await bus.publish(e);
      await waitFor('every event stored', async () => bus.depth === 0 && (await storedIds(t.db)).length === 120);
      const ids = await storedIds(t.db);
      assert.equal(new Set(ids).size, 120);
      assert.ok(writer.stats.duplicates >= 30, `duplicates ${writer.stats.duplicates}`);
      const { rows } = await sql<any>`SELECT * FROM audit_events WHERE id = ${sent[5]!.id}`.execute(t.db);
      assert.equal(rows.length, 1);
      const row = rows[0];
      assert.equal(new Date(row.at).toISOString(), sent[5]!.at);
      assert.deepEqual(
        [row.type, row.user_id, row.session_id, row.device_id, row.ip, row.user_agent, row.data],
        ['login.succeeded', userId, sent[5]!.sessionId, 'dev-1', '192.0.2.7', 'test/1', { i: 5 }],
      );
    });

    test('an event of a month without a partition gets one on demand; retention drops months past AUDIT_RETENTION_DAYS whole', async () => {
      const old = newAuditEvent({ type: 'logout', at: new Date(Date.now() - 400 * 86_400_000) });
      const recent = newAuditEvent({ type: 'logout', at: new Date(Date.now() - 10 * 86_400_000) });
      await bus.publish(old);
      await bus.publish(recent);
      await waitFor('both stored', async () => {
        const ids = await storedIds(t.db);
        return ids.includes(old.id) && ids.includes(recent.id);
      });
      const oldPartition = partitionName(monthStart(new Date(old.at)));
      assert.ok((await listPartitions(t.db)).some((p) => p.name === oldPartition));
      const dropped = await writer.applyRetention();
      assert.deepEqual(dropped, [oldPartition]);
      const ids = await storedIds(t.db);
      assert.ok(!ids.includes(old.id) && ids.includes(recent.id));
      // A late event for the dropped month (a redelivery) makes it again rather than failing for ever.
      const late = newAuditEvent({ type: 'logout', at: old.at });
      await bus.publish(late);
      await waitFor('the late one stored', async () => (await storedIds(t.db)).includes(late.id));
      await sleep(10);
    });
  });
}
