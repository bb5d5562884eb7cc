import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/** Migrations live in code, in order; Kysely's Migrator records which ran and takes a lock while it runs. */
const migrations: Record<string, Migration> = {
  '0001_users': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('registration_request_id', 'uuid', (c) => c.notNull().unique())
        .execute();
      // Emails are unique case-insensitively: one index on lower(email) serves both the rule and lookups.
      await sql`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('users').execute();
    },
  },
  '0003_users_disabled': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('disabled_at', 'timestamptz').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('users').dropColumn('disabled_at').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'authgate_migrations', migrationLockTableName: 'authgate_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) throw new Error(`database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${(error as Error)?.message ?? 'unknown'}`);
}
