import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '@authgate/shared/db/database';

/**
 * Where an account stands with a device at sign-in: `first` (it has never completed a sign-in at all),
 * `known` (it has completed one from this device) or `new`.
 */
export type DeviceStanding = 'first' | 'known' | 'new';

/**
 * The devices each account has completed a sign-in from (migration 0006_devices), with when each was
 * first and last seen. A sign-in that names no deviceId is kept under the empty device id (no client
 * can send one: deviceIds have at least one character), so that it counts as "has signed in before";
 * it never makes a device-less login known (`hasNamedDevice`).
 *
 * Device ids are kept as SHA-256(userId ‖ deviceId), not in clear: the table is not a list of the ids
 * that would let a password thief skip the approval. Not an HMAC: a deviceId is no secret kept from
 * the operator (the audit trail and the sessions list show it), so a key would add its management and
 * protect nothing more. The userId in the hash keeps one device's rows unlinkable across accounts.
 */
export class KnownDevices {
  constructor(private readonly db: Db) {}

  async standing(userId: string, deviceId: string): Promise<DeviceStanding> {
    const row = await this.db
      .selectFrom('known_devices')
      .select([sql<boolean>`coalesce(bool_or(device_hash = ${deviceHash(userId, deviceId)}), false)`.as('known'), sql<string>`count(*)`.as('devices')])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    if (row.known) return 'known';
    return Number(row.devices) === 0 ? 'first' : 'new';
  }

  /**
   * Whether the account has completed a sign-in from a device it named. From then on a login that
   * names none is checked like a new device: leaving deviceId out must not skip the check.
   */
  async hasNamedDevice(userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('known_devices')
      .select(sql<number>`1`.as('one'))
      .where('user_id', '=', userId)
      .where('device_hash', '<>', deviceHash(userId, ''))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * A completed sign-in from this device (or from none): first seen now if new, last seen now in any
   * case. Answers where the account stood with the device before it, read in the same statement that
   * records it, so that of two sign-ins at once from one new device only one finds it `new`
   * (`xmax = 0`: the row was inserted, not updated by the conflict clause).
   */
  async record(userId: string, deviceId: string | undefined): Promise<DeviceStanding> {
    const hash = deviceHash(userId, deviceId ?? '');
    const { rows } = await sql<{ inserted: boolean; devices: string }>`
      WITH prior AS (SELECT count(*) AS devices FROM known_devices WHERE user_id = ${userId}),
      recorded AS (
        INSERT INTO known_devices (user_id, device_hash) VALUES (${userId}, ${hash})
        ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen_at = now()
        RETURNING (xmax = 0) AS inserted
      )
      SELECT recorded.inserted, prior.devices FROM recorded, prior`.execute(this.db);
    const row = rows[0];
    if (!row?.inserted) return 'known';
    return Number(row.devices) === 0 ? 'first' : 'new';
  }

  /** First and last seen of one device of the account, or undefined if it never completed a sign-in. */
  async seen(userId: string, deviceId: string): Promise<{ firstSeenAt: Date; lastSeenAt: Date } | undefined> {
    const row = await this.db
      .selectFrom('known_devices')
      .select(['first_seen_at', 'last_seen_at'])
      .where('user_id', '=', userId)
      .where('device_hash', '=', deviceHash(userId, deviceId))
      .executeTakeFirst();
    return row && { firstSeenAt: row.first_seen_at, lastSeenAt: row.last_seen_at };
  }
}

/** userId is a fixed-length UUID, so the concatenation is unambiguous. */
export function deviceHash(userId: string, deviceId: string): string {
  return createHash('sha256').update(userId).update(deviceId).digest('base64url');
}
