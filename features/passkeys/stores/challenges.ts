/**
 * Pending WebAuthn challenges: made by the options command, taken once by the command that answers
 * them, on any worker. Two drivers pass one contract suite (../test/challenges-contract.test.ts): in
 * process (memory-challenges.ts, the all-in-one) and Redis (redis-challenges.ts, distributed). Which
 * one a process uses is decided by the composition module (shared/src/composition.ts).
 */

/** A sign-in's challenge is kept under its challengeId; a registration's under the challenge itself (bound to its account). */
export type ChallengePurpose = 'register' | 'login';

export interface PendingChallenge {
  /** The challenge the authenticator must sign (base64url, 256 random bits). */
  challenge: string;
  /** Registration: the account that asked for it; another account's response cannot use it. */
  userId?: string | undefined;
}

export interface PasskeyChallengeStore {
  /** Keeps it for `ttlMs` under (purpose, key). False when the store holds all it may (memory: a bound); then nothing is kept. */
  put(purpose: ChallengePurpose, key: string, pending: PendingChallenge, ttlMs: number): Promise<boolean>;
  /**
   * Removes and returns it, in one step: of concurrent takes exactly one gets it, and an expired or
   * unknown one is nothing. A challenge is taken before the response is checked, so a failed attempt
   * uses it up too: nobody tries many forged responses against one challenge.
   */
  take(purpose: ChallengePurpose, key: string): Promise<PendingChallenge | undefined>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** What a caller may look up: the keys we make (base64url, 16-128 characters); anything else is unknown without a lookup. */
export const CHALLENGE_KEY = /^[A-Za-z0-9_-]{16,128}$/;
