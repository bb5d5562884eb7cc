import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createLogger } from '@authgate/shared/logger';
import type { Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { UserRepository } from '@authgate/shared/db/users';
import { EmailTokenRepository } from '@authgate/features/email/stores/email-tokens';
import { createTestDatabase, tempDir } from '../../test/helpers/services.ts';
import { openPglite, openPostgres } from '@authgate/shared/db/database';

const log = createLogger({ level: 'silent', name: 'test' });

interface DatabaseDriver {
  name: string;
  open(): Promise<Db>;
  cleanup(): Promise<void>;
}

const localPart = () => `user-${randomBytes(6).toString('hex')}`;
const newUser = (email = `${localPart()}@example.test`) => ({
  id: randomUUID(),
  email,
  passwordHash: `$2b$04$${randomBytes(16).toString('hex')}`,
  registrationRequestId: randomUUID(),
});

function usersContract(driver: DatabaseDriver): void {
  describe(`UserRepository: ${driver.name}`, () => {
    let db: Db;
    let users: UserRepository;

    before(async () => {
      db = await driver.open();
      await migrateToLatest(db);
      // A second run finds nothing to do and must not fail.
      await migrateToLatest(db);
      users = new UserRepository(db);
    });

    after(async () => {
      await driver.cleanup();
    });

    test('migrations ran once: the users table exists and each migration is recorded once', async () => {
      const recorded = await sql<{ name: string }>`select name from authgate_migrations`.execute(db);
      assert.deepEqual(recorded.rows.map((r) => r.name).sort(), [
        '0001_users',
        '0002_audit_events',
        '0003_users_disabled',
        '0004_email_tokens',
        '0005_totp',
        '0006_devices',
        '0007_oidc_clients',
        '0008_passkeys',
      ]);
      assert.equal(await users.ping(), true);
    });

    test('create returns created with the given id, and the row reads back', async () => {
      const user = newUser();
      const outcome = await users.create(user);
      assert.deepEqual(outcome, { created: true, id: user.id });
      const found = await users.findByEmail(user.email);
      assert.ok(found);
      assert.equal(found.id, user.id);
      assert.equal(found.email, user.email);
      assert.equal(found.passwordHash, user.passwordHash);
      assert.ok(found.createdAt instanceof Date);
      assert.ok(Math.abs(found.createdAt.getTime() - Date.now()) < 60_000, `createdAt ${found.createdAt.toISOString()}`);
      assert.equal(await users.emailExists(user.email), true);
    });

    test('the same email in another case: created false, with the existing row', async () => {
      const first = newUser(`${localPart()}@Example.Test`);
      assert.equal((await users.create(first)).created, true);
      const second = newUser(first.email.toUpperCase());
      const outcome = await users.create(second);
      assert.deepEqual(outcome, { created: false, existing: { id: first.id, registrationRequestId: first.registrationRequestId } });
      const count = await db
        .selectFrom('users')
        .select(db.fn.countAll<string>().as('n'))
        .where(sql<string>`lower(email)`, '=', first.email.toLowerCase())
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
    });

    test('create again with the same registrationRequestId returns the existing row, whose registrationRequestId matches', async () => {
      const user = newUser();
      assert.equal((await users.create(user)).created, true);

      // The redelivered command: same request, same email, a fresh id and hash.
      const redelivered = await users.create({ ...user, id: randomUUID(), passwordHash: 'other' });
      assert.deepEqual(redelivered, { created: false, existing: { id: user.id, registrationRequestId: user.registrationRequestId } });

      // Even under another email, the request id is unique: no second row for the same request.
      const otherEmail = `${localPart()}@example.test`;
      const sameRequest = await users.create({ ...newUser(otherEmail), registrationRequestId: user.registrationRequestId });
      assert.equal(sameRequest.created, false);
      assert.ok(!sameRequest.created);
      assert.equal(sameRequest.existing.registrationRequestId, user.registrationRequestId);
      assert.equal(sameRequest.existing.id, user.id);
      assert.equal(await users.findByEmail(otherEmail), undefined);
      assert.equal((await users.findByEmail(user.email))?.passwordHash, user.passwordHash, 'the first hash is kept');
    });

    test('findByEmail is case-insensitive both ways', async () => {
      const user = newUser(`${localPart()}@MiXeD.example.test`);
      await users.create(user);
      for (const variant of [user.email, user.email.toLowerCase(), user.email.toUpperCase()]) {
        assert.equal((await users.findByEmail(variant))?.id, user.id, variant);
      }
      assert.equal((await users.findByEmail(user.email))?.email, user.email, 'the email is kept as given');
    });

    test('findByEmail of an unknown email: undefined', async () => {
      assert.equal(await users.findByEmail(`${localPart()}@example.test`), undefined);
      assert.equal(await users.emailExists(`${localPart()}@example.test`), false);
    });

    test('updatePasswordHash changes the hash of that user only', async () => {
      const a = newUser();
      const b = newUser();
      await users.create(a);
      await users.create(b);
      await users.updatePasswordHash(a.id, '$2b$12$new-hash');
      assert.equal((await users.findByEmail(a.email))?.passwordHash, '$2b$12$new-hash');
      assert.equal((await users.findByEmail(b.email))?.passwordHash, b.passwordHash);
    });

    test('email tokens: only the SHA-256 is stored; one use; the purpose must match; a command issues one token', async () => {
      const tokens = new EmailTokenRepository(db);
      const user = newUser();
      await users.create(user);
      const requestId = randomUUID();
      const issued = await tokens.issue({ purpose: 'verify_email', userId: user.id, requestId });
      assert.ok(issued);
      assert.match(issued.token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(await tokens.issue({ purpose: 'verify_email', userId: user.id, requestId }), undefined, 'the same command again: no second token');
      const rows = await sql<{ token_hash: Uint8Array }>`select token_hash from email_tokens where user_id = ${user.id}`.execute(db);
      assert.equal(rows.rows.length, 1);
      assert.equal(Buffer.from(rows.rows[0]!.token_hash).length, 32);
      assert.ok(!Buffer.from(rows.rows[0]!.token_hash).toString('latin1').includes(issued.token));
      assert.equal(await tokens.peek(issued.token, 'password_reset'), undefined, 'another purpose');
      assert.equal(await tokens.peek(issued.token, 'verify_email'), user.id);
      const used = await tokens.use(issued.token, 'verify_email', (trx, owner) => users.markEmailVerified(owner, trx));
      assert.equal(used, user.id);
      assert.ok((await users.findById(user.id))?.emailVerifiedAt instanceof Date);
      assert.equal(await tokens.use(issued.token, 'verify_email', async () => {}), undefined, 'single use');
      assert.equal(await tokens.use('not a token', 'verify_email', async () => {}), undefined);
    });

    test('email tokens: an expired token is refused; a failing follow-up leaves the token unspent', async () => {
      const tokens = new EmailTokenRepository(db);
      const user = newUser();
      await users.create(user);
      const old = await tokens.issue({ purpose: 'password_reset', userId: user.id, requestId: randomUUID(), now: new Date(Date.now() - 31 * 60_000) });
      assert.equal(await tokens.peek(old!.token, 'password_reset'), undefined, '30 minutes passed');
      const fresh = await tokens.issue({ purpose: 'password_reset', userId: user.id, requestId: randomUUID() });
      await assert.rejects(
        tokens.use(fresh!.token, 'password_reset', async () => {
          throw new Error('the password could not be stored');
        }),
      );
      assert.equal(await tokens.peek(fresh!.token, 'password_reset'), user.id, 'rolled back with what it was for');
    });
  });
}

function pgliteDriver(): DatabaseDriver {
  const tmp = tempDir('users-pglite');
  let db: Db | undefined;
  return {
    name: 'embedded PGlite',
    async open() {
      db = openPglite(tmp.dir);
      return db;
    },
    async cleanup() {
      await db?.destroy();
      tmp.remove();
    },
  };
}

function postgresDriver(): DatabaseDriver {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let db: Db | undefined;
  return {
    name: 'PostgreSQL',
    async open() {
      database = await createTestDatabase('users');
      db = openPostgres({ url: database.url, poolSize: 10, log });
      return db;
    },
    async cleanup() {
      await db?.destroy();
      await database?.drop();
    },
  };
}

usersContract(pgliteDriver());
usersContract(postgresDriver());
