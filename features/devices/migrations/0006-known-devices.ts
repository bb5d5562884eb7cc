import { sql, type Kysely, type Migration } from 'kysely';

/** The devices each account has completed a sign-in from (hashed) (listed in shared/src/db/migrations.ts as 0006_devices). */
export const knownDevicesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // One row per (account, device hash): the primary key serves the one lookup, by account.
    await db.schema
      .createTable('known_devices')
      .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('device_hash', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('known_devices_pkey', ['user_id', 'device_hash'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('known_devices').execute();
  },
};
