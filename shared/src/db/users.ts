import { sql, type Transaction } from 'kysely';
import type { Database, Db } from './database.ts';

/** The database, or a transaction on it: a write that must happen together with another. */
type Executor = Db | Transaction<Database>;

export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
  registrationRequestId: string;
  disabledAt: Date | null;
  /** When the owner proved the address (a verification or reset link); null until then. */
  emailVerifiedAt: Date | null;
}

export type CreateOutcome = { created: true; id: string } | { created: false; existing: { id: string; registrationRequestId: string } };

function toRecord(row: {
  id: string;
  email: string;
  password_hash: string;
  created_at: Date;
  registration_request_id: string;
  disabled_at: Date | null;
  email_verified_at: Date | null;
}): UserRecord {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    registrationRequestId: row.registration_request_id,
    disabledAt: row.disabled_at,
    emailVerifiedAt: row.email_verified_at,
  };
}

export class UserRepository {
  constructor(private readonly db: Db) {}

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'password_hash', 'created_at', 'registration_request_id', 'disabled_at', 'email_verified_at'])
      .where(sql<string>`lower(email)`, '=', email.toLowerCase())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'password_hash', 'created_at', 'registration_request_id', 'disabled_at', 'email_verified_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async emailExists(email: string): Promise<boolean> {
    return (await this.findByEmail(email)) !== undefined;
  }

  /** One statement: the row exists completely or not at all; a conflict on the email returns the holder. */
  async create(user: { id: string; email: string; passwordHash: string; registrationRequestId: string }): Promise<CreateOutcome> {
    const inserted = await this.db
      .insertInto('users')
      .values({ id: user.id, email: user.email, password_hash: user.passwordHash, registration_request_id: user.registrationRequestId })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { created: true, id: inserted.id };
    const existing = await this.db
      .selectFrom('users')
      .select(['id', 'registration_request_id'])
      .where((eb) => eb.or([eb(sql<string>`lower(email)`, '=', user.email.toLowerCase()), eb('registration_request_id', '=', user.registrationRequestId)]))
      .executeTakeFirst();
    if (!existing) throw new Error('user insert conflicted but no conflicting row was found');
    return { created: false, existing: { id: existing.id, registrationRequestId: existing.registration_request_id } };
  }

  /** Disables (a time) or enables (null) the account; false if there is no such user. */
  async setDisabled(id: string, at: Date | null): Promise<boolean> {
    const updated = await this.db.updateTable('users').set({ disabled_at: at }).where('id', '=', id).executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }

  async updatePasswordHash(id: string, passwordHash: string, db: Executor = this.db): Promise<void> {
    await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
  }

  /** The owner proved the address: the first proof's time is kept. */
  async markEmailVerified(id: string, db: Executor = this.db): Promise<void> {
    await db.updateTable('users').set({ email_verified_at: sql<Date>`now()` }).where('id', '=', id).where('email_verified_at', 'is', null).execute();
  }

  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }
}
