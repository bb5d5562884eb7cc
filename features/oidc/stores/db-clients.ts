import type { Generated, Kysely } from 'kysely';
import type { Db } from '@authgate/shared/db/database';
import type { ClientMetadata, ClientStore } from './clients.ts';

/** The table of migrations/0007-oidc-clients.ts. */
export interface OidcClientsTable {
  client_id: string;
  metadata: ClientMetadata;
  created_at: Generated<Date>;
}

type ClientsDb = Kysely<{ oidc_clients: OidcClientsTable }>;

/** Administrators' clients in PostgreSQL, or PGlite in the all-in-one: whichever database the composition module opened. */
export class DbClientStore implements ClientStore {
  private readonly db: ClientsDb;

  constructor(db: Db) {
    this.db = db.withTables<{ oidc_clients: OidcClientsTable }>() as unknown as ClientsDb;
  }

  async find(clientId: string): Promise<ClientMetadata | undefined> {
    const row = await this.db.selectFrom('oidc_clients').select('metadata').where('client_id', '=', clientId).executeTakeFirst();
    return row ? metadataOf(row.metadata) : undefined;
  }

  async list(): Promise<ClientMetadata[]> {
    const rows = await this.db.selectFrom('oidc_clients').select('metadata').orderBy('created_at').orderBy('client_id').execute();
    return rows.map((row) => metadataOf(row.metadata));
  }

  async insert(metadata: ClientMetadata): Promise<boolean> {
    const inserted = await this.db
      .insertInto('oidc_clients')
      .values({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) as unknown as ClientMetadata })
      .onConflict((oc) => oc.column('client_id').doNothing())
      .returning('client_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async delete(clientId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('oidc_clients').where('client_id', '=', clientId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

/** jsonb comes back parsed from pg, and as text from some drivers. */
function metadataOf(value: unknown): ClientMetadata {
  return (typeof value === 'string' ? JSON.parse(value) : value) as ClientMetadata;
}
