import { sql, type Kysely, type Migration } from 'kysely';

/** OpenID clients added by administrators (stores/db-clients.ts); OIDC_CLIENTS never lands here. */
export const oidcClientsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oidc_clients')
      .addColumn('client_id', 'text', (c) => c.primaryKey())
      .addColumn('metadata', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('oidc_clients').execute();
  },
};
