import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openPglite, openPostgres, type Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { UserRepository } from '@authgate/shared/db/users';
import { createLogger } from '@authgate/shared/logger';
import { createTestDatabase, tempDir } from '../../../test/helpers/services.ts';
import { PasskeyRepository, type NewPasskey } from '../stores/db-passkeys.ts';

const log = createLogger({ level: 'silent', name: 'test' });

interface DatabaseDriver {
  name: string;
  open(): Promise<Db>;
  cleanup(): Promise<void>;
}

const drivers: DatabaseDriver[] = [
  (() => {
    const tmp = tempDir('passkeys-pglite');
    let db: Db | undefined;
    return {
      name: 'embedded PGlite',
      open: async () => (db = openPglite(tmp.dir)),
      cleanup: async () => {
        await db?.destroy();
        tmp.remove();
      },
    };
  })(),
  (() => {
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
    let db: Db | undefined;
    return {
      name: 'PostgreSQL',
      open: async () => {
        database = await createTestDatabase('passkeys');
        return (db = openPostgres({ url: database.url, poolSize: 4, log }));
      },
      cleanup: async () => {
        await db?.destroy();
        await database?.drop();
      },
    };
  })(),
];

/** The same repository on the all-in-one's PGlite and on PostgreSQL. */
for (const driver of drivers) {
  describe(`PasskeyRepository: ${driver.name}`, () => {
    let db: Db;
    let passkeys: PasskeyRepository;
    let users: UserRepository;

    before(async () => {
      db = await driver.open();
      await migrateToLatest(db);
      passkeys = new PasskeyRepository(db);
      users = new UserRepository(db);
    });
    after(() => driver.cleanup());

    const account = async () => {
      const id = randomUUID();
      await users.create({ id, email: `pk-${randomBytes(5).toString('hex')}@example.test`, passwordHash: 'x', registrationRequestId: randomUUID() });
      return id;
    };
    const passkeyOf = (userId: string, extra: Partial<NewPasskey> = {}): NewPasskey => ({
      id: randomBytes(32).toString('base64url'),
      userId,
      publicKey: new Uint8Array(randomBytes(77)),
      counter: 0,
      transports: ['internal', 'hybrid'],
      backedUp: false,
      deviceType: 'singleDevice',
      aaguid: '00000000-0000-0000-0000-000000000000',
      name: 'Laptop',
      ...extra,
    });

    test('the user handle: 32 random bytes, made once per account (also when asked concurrently), one per account', async () => {
      const a = await account();
      const b = await account();
      assert.equal(await passkeys.findUserHandle(a), undefined);
      const handles = await Promise.all(Array.from({ length: 5 }, () => passkeys.userHandleOf(a)));
      assert.equal(handles[0]!.length, 32);
      for (const h of handles) assert.deepEqual(h, handles[0]);
      assert.deepEqual(await passkeys.findUserHandle(a), handles[0]);
      assert.notDeepEqual(await passkeys.userHandleOf(b), handles[0]);
    });

    test('a credential is stored whole and read back; its id is registered once, to any account', async () => {
      const userId = await account();
      const other = await account();
      const passkey = passkeyOf(userId, { counter: 4_000_000_000 });
      const added = await passkeys.add(passkey);
      assert.ok(added?.createdAt instanceof Date);
      const found = await passkeys.find(passkey.id);
      assert.deepEqual(found, {
        id: passkey.id,
        userId,
        publicKey: passkey.publicKey,
        counter: 4_000_000_000,
        transports: ['internal', 'hybrid'],
        backedUp: false,
        name: 'Laptop',
      });
      assert.equal(await passkeys.add({ ...passkeyOf(other), id: passkey.id }), undefined, 'the same credential id for another account');
      assert.equal((await passkeys.find(passkey.id))?.userId, userId, 'unchanged');
    });

    test("the list: the account's own, oldest first, lastUsedAt null until a sign-in; descriptors for the exclusion list", async () => {
      const userId = await account();
      const first = passkeyOf(userId, { name: 'first' });
      const second = passkeyOf(userId, { name: 'second', transports: [] });
      await passkeys.add(first);
      await passkeys.add(second);
      await passkeys.add(passkeyOf(await account()));
      const list = await passkeys.listOf(userId);
      assert.deepEqual(
        list.map((p) => [p.id, p.name, p.lastUsedAt]),
        [
          [first.id, 'first', null],
          [second.id, 'second', null],
        ],
      );
      assert.match(list[0]!.createdAt, /^\d{4}-\d\d-\d\dT/);
      assert.deepEqual(await passkeys.descriptorsOf(userId), [
        { id: first.id, transports: ['internal', 'hybrid'] },
        { id: second.id, transports: [] },
      ]);
    });

    test('recordUse is compare-and-set on the counter: of two uses that saw one counter only one passes; it sets lastUsedAt and the backup flag', async () => {
      const userId = await account();
      const passkey = passkeyOf(userId, { counter: 5 });
      await passkeys.add(passkey);
      const outcomes = await Promise.all([passkeys.recordUse(passkey.id, 5, 6, true), passkeys.recordUse(passkey.id, 5, 6, true)]);
      assert.deepEqual(outcomes.sort(), [false, true]);
      const found = await passkeys.find(passkey.id);
      assert.equal(found?.counter, 6);
      assert.equal(found?.backedUp, true);
      assert.notEqual((await passkeys.listOf(userId))[0]?.lastUsedAt, null);
      assert.equal(await passkeys.recordUse(passkey.id, 5, 7, true), false, 'a stale counter');
      assert.equal(await passkeys.recordUse('no-such-id', 0, 1, false), false);
    });

    test("remove: only the account's own; a removed one is not found; an account's deletion takes its passkeys and handle", async () => {
      const userId = await account();
      const other = await account();
      const passkey = passkeyOf(userId, { name: 'Phone' });
      await passkeys.add(passkey);
      assert.equal(await passkeys.remove(other, passkey.id), undefined, "another account's");
      assert.deepEqual(await passkeys.remove(userId, passkey.id), { name: 'Phone' });
      assert.equal(await passkeys.find(passkey.id), undefined);
      assert.equal(await passkeys.remove(userId, passkey.id), undefined, 'removed once');

      const kept = passkeyOf(other);
      await passkeys.add(kept);
      await passkeys.userHandleOf(other);
      await db.deleteFrom('users').where('id', '=', other).execute();
      assert.equal(await passkeys.find(kept.id), undefined);
      assert.equal(await passkeys.findUserHandle(other), undefined);
    });
  });
}
