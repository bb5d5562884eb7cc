import { sql } from 'kysely';
import type { Db } from '@authgate/shared/db/database';

export interface TotpEnrolment {
  /** Sealed with MFA_ENCRYPTION_KEY; only workers can open it. */
  secretSealed: string;
  /** Null while the setup waits for its first code: TOTP is not on yet. */
  confirmedAt: Date | null;
}

/**
 * A user's TOTP and recovery codes (migration 0005). Every "once" rule is one conditional UPDATE, so
 * two workers answering at the same moment cannot both accept one code: the row decides.
 */
export class TotpRepository {
  constructor(private readonly db: Db) {}

  async find(userId: string): Promise<TotpEnrolment | undefined> {
    const row = await this.db.selectFrom('totp_enrolments').select(['secret_sealed', 'confirmed_at']).where('user_id', '=', userId).executeTakeFirst();
    return row && { secretSealed: row.secret_sealed, confirmedAt: row.confirmed_at };
  }

  async isEnabled(userId: string): Promise<boolean> {
    return (await this.find(userId))?.confirmedAt != null;
  }

  /** A new pending secret, replacing a pending one; false (nothing written) when TOTP is already on. */
  async savePending(userId: string, secretSealed: string): Promise<boolean> {
    const saved = await this.db
      .insertInto('totp_enrolments')
      .values({ user_id: userId, secret_sealed: secretSealed, confirmed_at: null, last_used_step: null })
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({ secret_sealed: secretSealed, created_at: sql`now()`, last_used_step: null })
          .where('totp_enrolments.confirmed_at', 'is', null),
      )
      .returning('user_id')
      .executeTakeFirst();
    return saved !== undefined;
  }

  /**
   * Turns the pending TOTP on with the step of the code that confirmed it (so that code cannot be used
   * again) and its recovery codes (any older ones go). False when there was nothing pending.
   */
  async confirm(userId: string, step: number, recoveryCodeHashes: readonly string[]): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const confirmed = await tx
        .updateTable('totp_enrolments')
        .set({ confirmed_at: sql`now()`, last_used_step: String(step) })
        .where('user_id', '=', userId)
        .where('confirmed_at', 'is', null)
        .executeTakeFirst();
      if (confirmed.numUpdatedRows !== 1n) return false;
      await tx.deleteFrom('totp_recovery_codes').where('user_id', '=', userId).execute();
      await tx
        .insertInto('totp_recovery_codes')
        .values(recoveryCodeHashes.map((hash) => ({ user_id: userId, code_hash: hash, used_at: null })))
        .execute();
      return true;
    });
  }

  /** Replay check: the step is accepted only if it is later than every step accepted before. */
  async useStep(userId: string, step: number): Promise<boolean> {
    const used = await this.db
      .updateTable('totp_enrolments')
      .set({ last_used_step: String(step) })
      .where('user_id', '=', userId)
      .where('confirmed_at', 'is not', null)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', String(step))]))
      .executeTakeFirst();
    return used.numUpdatedRows === 1n;
  }

  /** Spends a recovery code: true once, for the first use of an existing, unused code. */
  async useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
    const used = await this.db
      .updateTable('totp_recovery_codes')
      .set({ used_at: sql`now()` })
      .where('user_id', '=', userId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return used.numUpdatedRows === 1n;
  }

  /** TOTP off: the secret and every recovery code go. True when TOTP was on (a confirmed secret went). */
  async remove(userId: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('totp_recovery_codes').where('user_id', '=', userId).execute();
      const removed = await tx.deleteFrom('totp_enrolments').where('user_id', '=', userId).returning('confirmed_at').executeTakeFirst();
      return removed?.confirmed_at != null;
    });
  }
}
