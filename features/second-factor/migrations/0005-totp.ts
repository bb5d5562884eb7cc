import { sql, type Kysely, type Migration } from 'kysely';

/** TOTP enrolments (the secret sealed) and their recovery codes (digests only) (listed in shared/src/db/migrations.ts as 0005_totp). */
export const totpMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('totp_enrolments')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('confirmed_at', 'timestamptz')
      .addColumn('last_used_step', 'bigint')
      .execute();
    await db.schema
      .createTable('totp_recovery_codes')
      .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('used_at', 'timestamptz')
      .addPrimaryKeyConstraint('totp_recovery_codes_pkey', ['user_id', 'code_hash'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('totp_recovery_codes').execute();
    await db.schema.dropTable('totp_enrolments').execute();
  },
};
