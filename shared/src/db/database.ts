import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type Generated } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Logger } from '../logger.ts';

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  created_at: Generated<Date>;
  /** The request that created the row: a redelivered register command recognises its own user. */
  registration_request_id: string;
}

export interface Database {
  users: UsersTable;
}

export type Db = Kysely<Database>;

/**
 * PostgreSQL through a pg pool when DATABASE_URL is set; otherwise an embedded PGlite kept in
 * DATA_DIR/pglite, so the all-in-one mode needs no database server. Both speak the same SQL.
 */
export function openDatabase(options: { url: string | undefined; dataDir: string; log: Logger }): Db {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: 10, connectionTimeoutMillis: 3_000, idleTimeoutMillis: 30_000 });
    // An idle client losing its server must not crash the process; the pool replaces it.
    pool.on('error', (err) => options.log.warn({ err }, 'postgres client error'));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  const dir = path.resolve(options.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  return new Kysely<Database>({ dialect: new PGliteDialect(new PGlite(dir)) });
}
