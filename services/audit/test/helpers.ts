import { sql } from 'kysely';
import type { Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { createLogger } from '@authgate/shared/logger';
import { createTestDatabase, tempDir } from '../../../test/helpers/services.ts';
import { openPglite, openPostgres } from '@authgate/shared/db/database';

export const log = createLogger({ level: 'silent', name: 'audit-test' });
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export interface TestDb {
  kind: 'postgres' | 'pglite';
  db: Db;
  url?: string;
  close(): Promise<void>;
}

/** A migrated database of either kind: a fresh PostgreSQL database, or an embedded PGlite in a temp dir. */
export async function openTestDb(kind: TestDb['kind'], label: string): Promise<TestDb> {
  if (kind === 'postgres') {
    const database = await createTestDatabase(label);
    const db = openPostgres({ url: database.url, poolSize: 10, log });
    await migrateToLatest(db);
    return {
      kind,
      db,
      url: database.url,
      close: async () => {
        await db.destroy();
        await database.drop();
      },
    };
  }
  const dir = tempDir(label);
  const db = openPglite(dir.dir);
  await migrateToLatest(db);
  return {
    kind,
    db,
    close: async () => {
      await db.destroy();
      dir.remove();
    },
  };
}

export async function storedIds(db: Db): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`SELECT id FROM audit_events`.execute(db);
  return rows.map((r) => r.id);
}
