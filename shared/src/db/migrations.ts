import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { oidcClientsMigration } from '@authgate/features/oidc/migrations/0007-oidc-clients';
import { passkeysMigration } from '@authgate/features/passkeys/migrations/0008-passkeys';

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
  '0004_email_tokens': {
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
  },
  '0005_totp': {
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
  },
  '0006_devices': {
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
  },
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
