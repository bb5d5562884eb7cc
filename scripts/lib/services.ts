import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** The machine's real services (docs/testing.md). Each test run works in its own namespace and database. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const PG_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function uniqueNamespace(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}

export function tempDir(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `authgate-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh PostgreSQL database for one test file, dropped afterwards. */
export async function createTestDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `authgate_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Removes what a test run left in the shared brokers: its queues and its Redis keys. */
export async function cleanupNamespace(namespace: string): Promise<void> {
  const amqplib = await import('amqplib');
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  const { commandQueueNames } = await import('@authgate/shared/transport/amqp-queue');
  const commands = commandQueueNames(namespace);
  for (const queue of [...commands.password, commands.session, commands.dead]) await channel.deleteQueue(queue);
  for (const queue of ['mail', 'mail.dead']) await channel.deleteQueue(`${namespace}.${queue}`);
  // The audit trail's queue and exchange (shared/src/events/amqp-bus.ts).
  await channel.deleteQueue(`${namespace}.audit`);
  await channel.deleteExchange(`${namespace}.events`);
  await connection.close();
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  // Keys that begin with a hash tag (the OpenID provider's, `{<namespace>:oidc:...}`) too.
  for (const pattern of [`${namespace}:*`, `{${namespace}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  }
  await redis.quit();
}
