import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { UserRepository } from '@authgate/shared/db/users';
import { createLogger } from '@authgate/shared/logger';
import { freePort } from '../../scripts/cluster/ports.ts';
import { PrivatePostgres } from './services/private-postgres.ts';
import { openPostgres } from '@authgate/shared/db/database';

// A PostgreSQL of the test's own, restarted under the users pool: the query in flight fails (and the
// process lives on), queries during the outage fail fast, and the pool reconnects by itself.

const log = createLogger({ level: 'silent', name: 'test' });

describe('the users pool across a PostgreSQL restart', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authgate-pg-outage-'));
  let postgres: PrivatePostgres;
  let db: Db;
  let users: UserRepository;

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
    users = new UserRepository(db);
  });

  after(async () => {
    await db?.destroy();
    await postgres?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const newUser = () => ({ id: randomUUID(), email: `pg-${randomUUID()}@example.test`, passwordHash: 'not-a-real-hash', registrationRequestId: randomUUID() });

  test('a query in flight when the server restarts fails; the process lives on; afterwards the pool reconnects', async () => {
    // Connections busy with a query, and one checked out between two queries, when the server goes
    // away: pg emits 'error' on a checked-out client, which nobody but our handler hears.
    const inFlight = Array.from({ length: 3 }, () =>
      sql`select pg_sleep(3)`.execute(db).then(
        () => 'done',
        (err: Error) => err.message,
      ),
    );
    let serverStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (serverStopped = resolve));
    const held = db.connection().execute(async (connection) => {
      await sql`select 1`.execute(connection);
      await stopped;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return sql`select 1`.execute(connection).then(
        () => 'done',
        (err: Error) => err.message,
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await postgres.stop();
    serverStopped();

    const outcomes = await Promise.all([...inFlight, held]);
    for (const outcome of outcomes) assert.notEqual(outcome, 'done');
    // While it is down: an error, soon (connection refused), never a hang.
    const started = Date.now();
    await assert.rejects(users.findByEmail('someone@example.test'));
    assert.ok(Date.now() - started < 10_000, 'a query during the outage hung');
    assert.equal(await users.ping(), false);

    await postgres.start();
    const user = newUser();
    assert.deepEqual(await users.create(user), { created: true, id: user.id });
    assert.equal((await users.findByEmail(user.email))?.id, user.id);
    assert.equal(await users.ping(), true);
  });

  test('a registration is one statement: the same request twice gives one row, and the second learns it is its own', async () => {
    const user = newUser();
    assert.deepEqual(await users.create(user), { created: true, id: user.id });
    const again = await users.create({ ...user, id: randomUUID() });
    assert.deepEqual(again, { created: false, existing: { id: user.id, registrationRequestId: user.registrationRequestId } });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from users where lower(email) = ${user.email.toLowerCase()}`.execute(db);
    assert.equal(rows[0]!.n, 1);
  });
});
