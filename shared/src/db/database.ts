import path from 'node:path';
import { Kysely, PostgresDialect, type Generated } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { ensurePrivateDir } from '../private-dir.ts';
import { ThreadedPglite } from './threaded-pglite.ts';

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  created_at: Generated<Date>;
  /** The request that created the row: a redelivered register command recognises its own user. */
  registration_request_id: string;
  /** Set while an administrator has disabled the account: login answers `account_disabled`. */
  disabled_at: Date | null;
  /** Set when the owner followed a verification link (or a reset link: both prove the mailbox). */
  email_verified_at: Date | null;
}

/** Email verification and password reset tokens (migration 0004), by the SHA-256 of the token. */
export interface EmailTokensTable {
  token_hash: Buffer;
  purpose: 'verify_email' | 'password_reset';
  user_id: string;
  request_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}

/** Audit events (migration 0002), partitioned by month on `at`; written by the audit writer only. */
export interface AuditEventsTable {
  id: string;
  at: Date;
  type: string;
  user_id: string | null;
  session_id: string | null;
  device_id: string | null;
  ip: string | null;
  user_agent: string | null;
  data: unknown;
}

/** The devices each account has completed a sign-in from (migration 0006), by hash (db/devices.ts). */
export interface KnownDevicesTable {
  user_id: string;
  device_hash: string;
  first_seen_at: Generated<Date>;
  last_seen_at: Generated<Date>;
}

/** A user's TOTP secret (migration 0005): pending until confirmed with a code, on once `confirmed_at` is set. */
export interface TotpEnrolmentsTable {
  user_id: string;
  /** The secret sealed with MFA_ENCRYPTION_KEY (AES-256-GCM); never stored in clear. */
  secret_sealed: string;
  created_at: Generated<Date>;
  confirmed_at: Date | null;
  /** The last 30 s step whose code was accepted: a code of this step or an earlier one is a replay. */
  last_used_step: string | null;
}

/** The recovery codes of a confirmed TOTP, as SHA-256 digests; `used_at` set once one is spent. */
export interface TotpRecoveryCodesTable {
  user_id: string;
  code_hash: string;
  created_at: Generated<Date>;
  used_at: Date | null;
}

export interface Database {
  users: UsersTable;
  audit_events: AuditEventsTable;
  known_devices: KnownDevicesTable;
  email_tokens: EmailTokensTable;
  totp_enrolments: TotpEnrolmentsTable;
  totp_recovery_codes: TotpRecoveryCodesTable;
}

export type Db = Kysely<Database>;

/** Users queries are single-row lookups and inserts: seconds mean the server is not answering. */
const QUERY_TIMEOUT_MS = 5_000;

/** PostgreSQL through a pg pool of `poolSize` connections. */
export function openPostgres(options: { url: string; poolSize: number; log: Logger }): Db {
  // Every wait is bounded, so a database that is restarting or unreachable turns into a quick error
  // (the worker answers `overloaded`) rather than a command held until its deadline. The pool
  // replaces a lost connection on the next checkout: reconnection needs nothing more.
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    // A connection whose server vanished without a word (a network cut, not a restart) is noticed.
    keepAlive: true,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', (err) => options.log.warn({ err }, 'postgres client error'));
  // Nor one that is checked out: pg-pool listens only on idle clients, and a client whose server
  // goes away mid-query (a restart) emits 'error' besides failing the query. Unheard, that error
  // would end the process; heard, the query fails (the worker answers `overloaded`) and the pool
  // discards the client on its release.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.log.warn({ err }, 'postgres connection lost'));
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * An embedded PGlite kept in `dataDir`/pglite, so the all-in-one shape needs no database server. It
 * runs in a thread of its own (ThreadedPglite); the dialect sees the same `query` and `close`.
 */
export function openPglite(dataDir: string): Db {
  const dir = path.resolve(dataDir, 'pglite');
  ensurePrivateDir(path.resolve(dataDir));
  ensurePrivateDir(dir);
  const pglite = new ThreadedPglite(dir) as unknown as ConstructorParameters<typeof PGliteDialect>[0];
  return new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
}
