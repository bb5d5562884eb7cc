import { randomBytes } from 'node:crypto';
import { sql, type Generated, type Kysely } from 'kysely';
import type { Db } from '@authgate/shared/db/database';
import type { PasskeySummary } from '../contract.ts';

/** The feature's tables (migrations/0008-passkeys.ts), added to the shared database's typing where used. */
type PasskeyTables = {
  passkey_accounts: { user_id: string; user_handle: Buffer; created_at: Generated<Date> };
  passkeys: {
    id: string;
    user_id: string;
    public_key: Buffer;
    counter: string | number;
    transports: string[];
    backed_up: boolean;
    device_type: string;
    aaguid: string;
    name: string;
    created_at: Generated<Date>;
    last_used_at: Date | null;
  };
};

export interface StoredPasskey {
  id: string;
  userId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  backedUp: boolean;
  name: string;
}

export interface NewPasskey extends StoredPasskey {
  deviceType: string;
  aaguid: string;
}

/** 256 random bits: the handle of an account, as the WebAuthn spec's user.id allows (at most 64 bytes). */
const USER_HANDLE_BYTES = 32;

/** Credentials and user handles in PostgreSQL (PGlite in the all-in-one), through the shared Kysely instance. */
export class PasskeyRepository {
  private readonly db: Kysely<PasskeyTables>;

  constructor(db: Db) {
    this.db = db.withTables<PasskeyTables>() as unknown as Kysely<PasskeyTables>;
  }

  /** The account's handle, made on first use; two concurrent first uses agree on one (the insert that lost reads the winner's). */
  async userHandleOf(userId: string): Promise<Uint8Array> {
    await this.db
      .insertInto('passkey_accounts')
      .values({ user_id: userId, user_handle: randomBytes(USER_HANDLE_BYTES) })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
    const row = await this.db.selectFrom('passkey_accounts').select('user_handle').where('user_id', '=', userId).executeTakeFirstOrThrow();
    return new Uint8Array(row.user_handle);
  }

  /** The account's handle if it ever registered a passkey. */
  async findUserHandle(userId: string): Promise<Uint8Array | undefined> {
    const row = await this.db.selectFrom('passkey_accounts').select('user_handle').where('user_id', '=', userId).executeTakeFirst();
    return row && new Uint8Array(row.user_handle);
  }

  /** Stores a new credential; undefined when its id is registered already (to any account): nothing is changed. */
  async add(passkey: NewPasskey): Promise<{ createdAt: Date } | undefined> {
    const row = await this.db
      .insertInto('passkeys')
      .values({
        id: passkey.id,
        user_id: passkey.userId,
        public_key: Buffer.from(passkey.publicKey),
        counter: passkey.counter,
        transports: sql<string[]>`${sql.val(passkey.transports)}::text[]`,
        backed_up: passkey.backedUp,
        device_type: passkey.deviceType,
        aaguid: passkey.aaguid,
        name: passkey.name,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('created_at')
      .executeTakeFirst();
    return row && { createdAt: row.created_at };
  }

  async find(id: string): Promise<StoredPasskey | undefined> {
    const row = await this.db
      .selectFrom('passkeys')
      .select(['id', 'user_id', 'public_key', 'counter', 'transports', 'backed_up', 'name'])
      .where('id', '=', id)
      .executeTakeFirst();
    return (
      row && {
        id: row.id,
        userId: row.user_id,
        publicKey: new Uint8Array(row.public_key),
        counter: Number(row.counter),
        transports: row.transports,
        backedUp: row.backed_up,
        name: row.name,
      }
    );
  }

  /** The account's passkeys, oldest first, as GET /auth/passkeys shows them. */
  async listOf(userId: string): Promise<PasskeySummary[]> {
    const rows = await this.db
      .selectFrom('passkeys')
      .select(['id', 'name', 'created_at', 'last_used_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString(), lastUsedAt: r.last_used_at?.toISOString() ?? null }));
  }

  /** The ids and transports of the account's passkeys: a new registration excludes them. */
  async descriptorsOf(userId: string): Promise<Array<{ id: string; transports: string[] }>> {
    return this.db.selectFrom('passkeys').select(['id', 'transports']).where('user_id', '=', userId).orderBy('created_at').execute();
  }

  /** Removes one of the account's passkeys; its name when there was one (another account's is not found). */
  async remove(userId: string, id: string): Promise<{ name: string } | undefined> {
    return this.db.deleteFrom('passkeys').where('id', '=', id).where('user_id', '=', userId).returning('name').executeTakeFirst();
  }

  /**
   * A sign-in with the credential: its counter moves from `seen` to `counter`, compare-and-set, so that
   * of two sign-ins that verified against the same stored counter only one passes (the other found a
   * counter it did not see). False when the row changed or went meanwhile.
   */
  async recordUse(id: string, seen: number, counter: number, backedUp: boolean): Promise<boolean> {
    const updated = await this.db
      .updateTable('passkeys')
      .set({ counter, backed_up: backedUp, last_used_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('counter', '=', seen)
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }
}
