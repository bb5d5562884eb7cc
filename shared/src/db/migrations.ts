import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { emailTokensMigration } from '@authgate/features/email/migrations/0004-email-tokens';
import { knownDevicesMigration } from '@authgate/features/devices/migrations/0006-known-devices';
import { totpMigration } from '@authgate/features/second-factor/migrations/0005-totp';
import { oidcClientsMigration } from '@authgate/features/oidc/migrations/0007-oidc-clients';
import { passkeysMigration } from '@authgate/features/passkeys/migrations/0008-passkeys';

/**
 * Migrations live in code, in one order for the whole schema; a feature's own tables are defined in
 * its folder (features/<name>/migrations). Kysely's Migrator records which ran and takes a lock while it runs.
 */
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
  '0002_audit_events': {
    async up(db: Kysely<unknown>) {
      // One partition per calendar month (UTC) on `at`: retention drops whole months, and reads of a
      // time range touch only its months. Partitions are made by the audit writer (current and next
      // month at start, any other on demand). The primary key holds the partition key, as PostgreSQL
      // requires of a unique index on a partitioned table: (id, at), with `at` fixed by the publisher,
      // so a redelivered event meets its own row.
      await sql`
        CREATE TABLE audit_events (
          id uuid NOT NULL,
          at timestamptz NOT NULL,
          type text NOT NULL,
          user_id uuid,
          session_id uuid,
          device_id text,
          ip text,
          user_agent text,
          data jsonb NOT NULL DEFAULT '{}'::jsonb,
          PRIMARY KEY (id, at)
        ) PARTITION BY RANGE (at)`.execute(db);
      // A user's trail (newest first, keyset paging), their counts by type and their open sessions (index-only).
      await sql`CREATE INDEX audit_events_user_at ON audit_events (user_id, at DESC, id DESC) INCLUDE (type, session_id)`.execute(db);
      // Admin listing by type, and login buckets (type, at only: index-only).
      await sql`CREATE INDEX audit_events_type_at ON audit_events (type, at DESC, id DESC)`.execute(db);
      // Admin listing of everything in a time range, and top event types since a time (index-only).
      await sql`CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC) INCLUDE (type)`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP TABLE audit_events`.execute(db);
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
  '0004_email_tokens': emailTokensMigration,
  '0005_totp': totpMigration,
  '0006_devices': knownDevicesMigration,
  '0007_oidc_clients': oidcClientsMigration,
  '0008_passkeys': passkeysMigration,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

// biome-ignore lint/suspicious/noExplicitAny: these statements are raw SQL over tables outside the typed schema
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'authgate_migrations', migrationLockTableName: 'authgate_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) throw new Error(`database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${(error as Error)?.message ?? 'unknown'}`);
}
