import { createHash, randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database, Db } from '@authgate/shared/db/database';

export type EmailTokenPurpose = 'verify_email' | 'password_reset';

/** How long a mailed link works: a day to verify an address, half an hour to reset a password. */
export const EMAIL_TOKEN_TTL_MS: Readonly<Record<EmailTokenPurpose, number>> = {
  verify_email: 24 * 60 * 60_000,
  password_reset: 30 * 60_000,
};

/** 256 random bits, base64url without padding: exactly 43 characters. */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** Rows a day past their expiry are of no use, not even to recognise a redelivered command. */
const KEEP_EXPIRED_MS = 24 * 60 * 60_000;

/** What the table keeps of a token: its SHA-256 (an unguessable 256-bit token needs no slow hash). */
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/**
 * Email verification and password reset tokens (migration 0004_email_tokens). The token itself only
 * ever exists in the mail and in the user's hands; the table holds its hash. Each token is used once:
 * the statement that checks it (unused, not expired, this purpose) also marks it used.
 */
export class EmailTokenRepository {
  constructor(private readonly db: Db) {}

  /**
   * A new token for `userId`, issued by the command `requestId`; undefined when that command issued
   * one already (it was redelivered after its first run): the caller then sends no second mail.
   */
  async issue(input: { purpose: EmailTokenPurpose; userId: string; requestId: string; now?: Date }): Promise<IssuedToken | undefined> {
    const now = input.now ?? new Date();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(now.getTime() + EMAIL_TOKEN_TTL_MS[input.purpose]);
    await this.db
      .deleteFrom('email_tokens')
      .where('user_id', '=', input.userId)
      .where('expires_at', '<', new Date(now.getTime() - KEEP_EXPIRED_MS))
      .execute();
    const inserted = await this.db
      .insertInto('email_tokens')
      .values({ token_hash: digest(token), purpose: input.purpose, user_id: input.userId, request_id: input.requestId, expires_at: expiresAt })
      .onConflict((oc) => oc.column('request_id').doNothing())
      .returning('request_id')
      .executeTakeFirst();
    return inserted ? { token, expiresAt } : undefined;
  }

  /** Gives up the token `requestId` issued (its mail could not be queued): it can never be used. */
  async withdraw(requestId: string): Promise<void> {
    await this.db.updateTable('email_tokens').set({ used_at: new Date() }).where('request_id', '=', requestId).where('used_at', 'is', null).execute();
  }

  /** The user of a token that would be accepted now, without using it. */
  async peek(token: string, purpose: EmailTokenPurpose): Promise<string | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const row = await this.db
      .selectFrom('email_tokens')
      .select('user_id')
      .where('token_hash', '=', digest(token))
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row?.user_id;
  }

  /**
   * Uses a token once and runs `then` in the same transaction: the token is spent if and only if what
   * it was for is done. The checks, in one UPDATE: the shape, the hash, the purpose, unused, unexpired.
   * Undefined (nothing done) for any token that fails one of them.
   */
  async use(token: string, purpose: EmailTokenPurpose, then: (trx: Transaction<Database>, userId: string) => Promise<void>): Promise<string | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    return this.db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('email_tokens')
        .set({ used_at: sql<Date>`now()` })
        .where('token_hash', '=', digest(token))
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', sql<Date>`now()`)
        .returning('user_id')
        .executeTakeFirst();
      if (!used) return undefined;
      await then(trx, used.user_id);
      return used.user_id;
    });
  }

  /** Ends every other live token of this purpose for the user: one reset link spends all of them. */
  async retireAll(trx: Transaction<Database>, userId: string, purpose: EmailTokenPurpose): Promise<void> {
    await trx
      .updateTable('email_tokens')
      .set({ used_at: sql<Date>`now()` })
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .execute();
  }
}
