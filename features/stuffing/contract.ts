import { z } from 'zod';

/**
 * Credential stuffing defence: the wire contract and the settings, as the edge, the worker and the
 * configuration all need them. Edge-safe: zod and constants only. docs: features/stuffing/docs.md.
 *
 * While the failure rate of password logins across the deployment is above STUFFING_FAILURE_RATE, a
 * login that does not come from a device the account has signed in from is answered
 * `403 challenge_required` with a proof of work, at the edge, before it takes any password work.
 */

/**
 * The audit event types of the feature, all the deployment's (no account): the detection and its end,
 * and `challenge.issued` once a minute while challenges are issued, with how many (one event per
 * challenge would write a botnet's traffic into the trail).
 */
export const STUFFING_AUDIT_EVENTS = ['stuffing.detected', 'stuffing.ended', 'challenge.issued'] as const;

/** The only algorithm of the contract: SHA-256(salt + nonce) begins with `difficulty` zero bits. */
export const CHALLENGE_ALGORITHM = 'sha256';

/** What a `challenge_required` error object carries under `challenge`. */
export interface IssuedChallenge {
  algorithm: typeof CHALLENGE_ALGORITHM;
  /** Opaque to the client: hashed as it is, sent back as it is. */
  salt: string;
  /** Leading zero bits of SHA-256(salt + nonce). */
  difficulty: number;
  /** Epoch milliseconds after which the salt is refused. */
  expiresAt: number;
}

/** A salt is at most this long: what the edge makes is about 80 characters. */
export const MAX_SALT_LENGTH = 256;
/** A nonce is at most this long: a counter in decimal needs far fewer. */
export const MAX_NONCE_LENGTH = 64;

/** A login's `challenge` field: the issued salt and the nonce the client found. */
export const challengeAnswerSchema = z.object({
  salt: z.string().min(1, 'must not be empty').max(MAX_SALT_LENGTH, `must be at most ${MAX_SALT_LENGTH} characters`),
  nonce: z.string().min(1, 'must not be empty').max(MAX_NONCE_LENGTH, `must be at most ${MAX_NONCE_LENGTH} characters`),
});
export type ChallengeAnswer = z.infer<typeof challengeAnswerSchema>;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The feature's settings, spread into shared/src/config.ts's schema (README: Configuration).
 * Defaults: a wave of 20 failed logins a second from 100 addresses is seen within a few seconds;
 * a person's browser solves the starting difficulty in well under a second.
 */
export const STUFFING_SETTINGS = {
  /** `on`: watch the failure rate and challenge while it is high; `off`: never challenge. */
  STUFFING_DEFENCE: z.enum(['on', 'off']).default('on'),
  /** Failed password logins (and challenges left unsolved) per second, deployment-wide, that start the defence. */
  STUFFING_FAILURE_RATE: int(1, 1_000_000).default(10),
  /** Distinct client sources among them in the last minute: fewer is one client, which the per-source limits handle. */
  STUFFING_MIN_SOURCES: int(1, 1_000_000).default(20),
  /** The defence ends once the rate has stayed under half of STUFFING_FAILURE_RATE for this long. */
  STUFFING_COOLDOWN_S: int(2, 3600).default(15),
  /** Leading zero bits at the start of a wave (16: about 65,000 hashes, well under a second in a browser). */
  STUFFING_DIFFICULTY: int(1, 32).default(16),
  /** The most it rises to: one bit more each time the rate doubles. */
  STUFFING_MAX_DIFFICULTY: int(1, 32).default(22),
  /** How long an issued challenge may be answered. */
  STUFFING_CHALLENGE_TTL_S: int(10, 3600).default(120),
  /**
   * A k-anonymity range API in the form of Have I Been Pwned's (`<url>/<first 5 hex of SHA-1>`,
   * answering `SUFFIX:COUNT` lines): registration, reset and change refuse a password found there.
   * Unset: no check.
   */
  PASSWORD_BREACH_RANGE_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  /** How long the range API may take before the check is skipped (and counted). */
  PASSWORD_BREACH_TIMEOUT_MS: int(50, 60_000).default(1500),
};

/** The settings as parsed (a subset of Config). */
export interface StuffingSettings {
  STUFFING_DEFENCE: 'on' | 'off';
  STUFFING_FAILURE_RATE: number;
  STUFFING_MIN_SOURCES: number;
  STUFFING_COOLDOWN_S: number;
  STUFFING_DIFFICULTY: number;
  STUFFING_MAX_DIFFICULTY: number;
  STUFFING_CHALLENGE_TTL_S: number;
}
