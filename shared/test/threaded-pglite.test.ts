import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openPglite, type Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { tempDir } from '../../test/helpers/services.ts';

const run = promisify(execFile);

/** The all-in-one's embedded database runs in a thread of its own (shared/src/db/threaded-pglite.ts). */
describe('embedded database in its own thread', () => {
  const data = tempDir('threaded-pglite');
  let db: Db;

  before(async () => {
    db = openPglite(data.dir);
    await migrateToLatest(db);
  });

  after(async () => {
    await db.destroy();
    data.remove();
  });

  test('rows, dates and byte arrays come back as PGlite gives them; a transaction commits or rolls back whole', async () => {
    const id = randomUUID();
    await db
      .insertInto('users')
      .values({ id, email: `${id}@example.test`, password_hash: 'x', registration_request_id: randomUUID(), disabled_at: null, email_verified_at: null })
      .execute();
    const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.ok(row.created_at instanceof Date);
    const bytes = await sql<{ b: Uint8Array }>`select decode('00ff10', 'hex') as b`.execute(db);
    assert.deepEqual([...bytes.rows[0]!.b], [0, 255, 16]);

    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await tx.updateTable('users').set({ email: 'changed@example.test' }).where('id', '=', id).execute();
        throw new Error('abandon');
      }),
      /abandon/,
    );
    const kept = await db.selectFrom('users').select('email').where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(kept.email, `${id}@example.test`, 'the abandoned transaction left nothing');
  });

  test('a database error keeps its SQLSTATE code and constraint across the thread', async () => {
    const requestId = randomUUID();
    const values = (email: string) => ({
      id: randomUUID(),
      email,
      password_hash: 'x',
      registration_request_id: requestId,
      disabled_at: null,
      email_verified_at: null,
    });
    await db
      .insertInto('users')
      .values(values(`${randomUUID()}@example.test`))
      .execute();
    await assert.rejects(
      db
        .insertInto('users')
        .values(values(`${randomUUID()}@example.test`))
        .execute(),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, '23505', 'unique_violation');
        return true;
      },
    );
  });

  test('the event loop keeps turning while the database works', async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    try {
      const started = performance.now();
      await sql`select count(*) from generate_series(1, 3000000)`.execute(db);
      const took = performance.now() - started;
      // In the loop's thread the query would leave no turn at all until it ends.
      assert.ok(turns >= Math.min(10, took / 20), `${turns} turns of the loop during a ${Math.round(took)} ms query`);
    } finally {
      clearInterval(ticker);
    }
  });

  test('an idle embedded database does not keep a finished process alive, even after a query that could not be sent', async () => {
    const dir = path.join(data.dir, 'exits');
    const database = path.resolve(import.meta.dirname, '../src/db/database.ts');
    const script = `(async () => {
      const { openPglite } = await import(${JSON.stringify(database)});
      const { sql } = await import('kysely');
      const db = openPglite(${JSON.stringify(dir)});
      // A parameter that cannot cross to the thread fails its own query, and nothing is left waiting.
      const refused = await sql\`select \${{ call: () => 1 }}::jsonb\`.execute(db).then(() => 'ran', (err) => err.name);
      const result = await sql\`select 41 + 1 as n\`.execute(db);
      console.log(refused, result.rows[0].n);
    })();`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], { timeout: 60_000, cwd: path.resolve(import.meta.dirname, '../..') });
    assert.equal(stdout.trim(), 'DataCloneError 42');
  });
});
