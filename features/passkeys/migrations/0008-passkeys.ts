import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The passkeys' tables (listed in shared/src/db/migrations.ts as 0008_passkeys).
 *
 * - `passkey_accounts`: each account's WebAuthn user handle, made on its first registration: 32 random
 *   bytes, the `user.id` an authenticator stores and returns at sign-in. Not the email (the spec asks
 *   for no personal data there) and not the user id (an id that means nothing elsewhere).
 * - `passkeys`: one row per credential, by its id (base64url, as the browser sends it). The counter is
 *   the authenticator's signature counter (u32: bigint); `backed_up` is refreshed at each sign-in.
 */
export const passkeysMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('passkey_accounts')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('user_handle', 'bytea', (c) => c.notNull().unique())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable('passkeys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('public_key', 'bytea', (c) => c.notNull())
      .addColumn('counter', 'bigint', (c) => c.notNull())
      .addColumn('transports', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
      .addColumn('backed_up', 'boolean', (c) => c.notNull())
      .addColumn('device_type', 'text', (c) => c.notNull())
      .addColumn('aaguid', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('last_used_at', 'timestamptz')
      .execute();
    // An account's list (oldest first), and the excluded credentials of its next registration.
    await db.schema.createIndex('passkeys_user_created').on('passkeys').columns(['user_id', 'created_at']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('passkeys').execute();
    await db.schema.dropTable('passkey_accounts').execute();
  },
};
