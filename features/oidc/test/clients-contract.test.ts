import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openPglite, openPostgres, type Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { createLogger } from '@authgate/shared/logger';
import { createTestDatabase, tempDir } from '../../../test/helpers/services.ts';
import { hashSecret, secretMatches, withoutSecret, type ClientStore } from '../stores/clients.ts';
import { DbClientStore } from '../stores/db-clients.ts';
import { MemoryClientStore } from '../stores/memory-clients.ts';

/** Administrators' clients, one suite: in-process, PGlite (the all-in-one's database) and PostgreSQL, through the real migrations. */
function clientsContract(name: string, setup: () => Promise<{ store: ClientStore; teardown(): Promise<void> }>): void {
  describe(`OpenID client store contract: ${name}`, () => {
    let store: ClientStore;
    let teardown: (() => Promise<void>) | undefined;
    before(async () => {
      ({ store, teardown } = await setup());
    });
    after(async () => teardown?.());

    test('insert, find, list (oldest first), delete', async () => {
      const first = { client_id: 'first', client_secret: hashSecret('s'), redirect_uris: ['https://rp.example/cb'], first_party: true };
      const second = { client_id: 'second', token_endpoint_auth_method: 'none', redirect_uris: ['https://spa.example/cb'] };
      assert.equal(await store.insert(first), true);
      assert.equal(await store.insert(second), true);
      assert.deepEqual(await store.find('first'), first);
      assert.equal(await store.find('none'), undefined);
      assert.deepEqual(
        (await store.list()).map((c) => c.client_id),
        ['first', 'second'],
      );
      assert.equal(await store.delete('first'), true);
      assert.equal(await store.delete('first'), false);
      assert.equal(await store.find('first'), undefined);
    });

    test('a taken client_id is refused, and the first stays', async () => {
      assert.equal(await store.insert({ client_id: 'taken', client_name: 'one' }), true);
      assert.equal(await store.insert({ client_id: 'taken', client_name: 'two' }), false);
      assert.equal((await store.find('taken'))?.client_name, 'one');
    });

    test('what find returns is a copy', async () => {
      await store.insert({ client_id: 'copy', redirect_uris: ['https://a.example/cb'] });
      const found = (await store.find('copy'))!;
      (found.redirect_uris as string[]).push('https://evil.example/cb');
      assert.deepEqual((await store.find('copy'))!.redirect_uris, ['https://a.example/cb']);
    });
  });
}

clientsContract('in-process', async () => ({ store: new MemoryClientStore(), teardown: async () => {} }));

clientsContract('PGlite', async () => {
  const data = tempDir('oidc-clients-pglite');
  const db: Db = openPglite(data.dir);
  await migrateToLatest(db);
  return {
    store: new DbClientStore(db),
    teardown: async () => {
      await db.destroy();
      data.remove();
    },
  };
});

clientsContract('PostgreSQL', async () => {
  const database = await createTestDatabase('oidc_clients');
  const db = openPostgres({ url: database.url, poolSize: 2, log: createLogger({ level: 'silent', name: 'oidc-clients' }) });
  await migrateToLatest(db);
  return {
    store: new DbClientStore(db),
    teardown: async () => {
      await db.destroy();
      await database.drop();
    },
  };
});

describe('OpenID client secrets', () => {
  test('are kept as a SHA-256 digest and checked through it, in constant time', () => {
    const stored = hashSecret('correct horse');
    assert.match(stored, /^sha256\$[\w-]{43}$/);
    assert.equal(secretMatches(stored, 'correct horse'), true);
    assert.equal(secretMatches(stored, 'correct horsE'), false);
    assert.equal(secretMatches('correct horse', 'correct horse'), false, 'a secret stored in clear never matches');
    assert.equal(secretMatches(undefined, ''), false);
  });

  test('an administrator never sees the digest', () => {
    assert.deepEqual(withoutSecret({ client_id: 'c', client_secret: hashSecret('x'), client_name: 'C' }), { client_id: 'c', client_name: 'C' });
  });
});
