import { sql, type Kysely, type Migration } from 'kysely';

/** The address's verified time, and the tokens of verification and reset mails (listed in shared/src/db/migrations.ts as 0004_email_tokens). */
export const emailTokensMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('users').addColumn('email_verified_at', 'timestamptz').execute();
    // Verification and reset tokens, kept only as their SHA-256: a copy of this table opens no account.
    // `request_id` is the command that issued the token: a redelivered command finds its own row and
    // sends no second mail. A token is used by setting `used_at` in the statement that checks it.
    await db.schema
      .createTable('email_tokens')
      .addColumn('token_hash', 'bytea', (c) => c.primaryKey())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('request_id', 'uuid', (c) => c.notNull().unique())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .addColumn('used_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('email_tokens_user_purpose').on('email_tokens').columns(['user_id', 'purpose']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('email_tokens').execute();
    await db.schema.alterTable('users').dropColumn('email_verified_at').execute();
  },
};
