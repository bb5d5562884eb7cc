import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthMethod } from '@authgate/features/sessions/stores/sessions';

/** A sign-in stopped at the new-device step, kept until it is approved, denied, verified or expired. */
export interface PendingSignIn {
  userId: string;
  /** None for a login that named no device (it is checked once the account has a device, but never becomes known). */
  deviceId?: string | undefined;
  /** Where the waiting sign-in came from, as shown to the person who approves it. */
  ip: string;
  userAgent?: string | undefined;
  /** The connection that made the login (over WebSocket, or deferred): told `device.approved` / `device.denied`. */
  waiting?: { nodeId: string; connectionId: string } | undefined;
  /** How the sign-in was proven before it stopped here (the session's `amr` once it completes). */
  amr?: AuthMethod[] | undefined;
}

export type Decision = 'approved' | 'denied';

/** `decided`: the state changed now; `unchanged`: it was already so (a retried request); `missing`: none of this account's. */
export type DecideOutcome = { outcome: 'decided'; signIn: PendingSignIn } | { outcome: 'unchanged' } | { outcome: 'missing' };
/**
 * `approved` hands the sign-in out to one request, once: the verification is then spent (another
 * request finds it `missing`), but the same request asking again (its worker retried it after a
 * failure, or the queue redelivered it) gets it again, so a lost attempt never loses the approval.
 */
export type CompleteOutcome = { outcome: 'approved'; signIn: PendingSignIn } | { outcome: 'pending' } | { outcome: 'denied' } | { outcome: 'missing' };
/** `wrong` with no tries left has removed the verification. */
export type CodeOutcome =
  | { outcome: 'verified'; signIn: PendingSignIn }
  | { outcome: 'wrong'; triesLeft: number; userId: string }
  | { outcome: 'denied' }
  | { outcome: 'missing' };

/**
 * The pending new-device sign-ins (docs/rest.md, "New devices"), in one store shared by every worker:
 * Redis, or in-process in the all-in-one shape. Both drivers pass one contract suite. Every change of
 * state is one atomic step, so two workers never both hand out one sign-in, and a code's tries cannot
 * be spent twice at once.
 *
 * Neither the verificationId nor the code is stored: a verification is kept under the SHA-256 of its
 * id (`verificationKey`), its code as an HMAC keyed with the id (`codeDigest`). A copy of the store
 * names no verification a client could complete, and its code digests cannot be brute-forced over
 * the 10^6 codes without the 128-bit id they are keyed with.
 *
 * Only the waiting client finishes a sign-in: the verificationId is shown to every session of the
 * account (to approve it), the completeToken only to the client that logged in. `complete` and
 * `verifyCode` ask for both; a wrong completeToken is told apart from an unknown verification in
 * nothing (`missing`) and spends no try. It is kept as its SHA-256 (`completeTokenDigest`) and
 * compared in constant time (`sameDigest`).
 */
export interface DeviceVerifications {
  /** Keeps a new pending sign-in for `ttlMs`, its code good for `tries` wrong guesses at most. */
  open(verificationId: string, completeToken: string, signIn: PendingSignIn, code: string, options: { ttlMs: number; tries: number }): Promise<void>;
  /** An approval or a denial by a session of the account `userId`; only a pending one changes. */
  decide(verificationId: string, userId: string, decision: Decision): Promise<DecideOutcome>;
  /** The account of a live verification, if `completeToken` is its own (the code limits count per account before a code is checked). */
  accountOf(verificationId: string, completeToken: string): Promise<string | undefined>;
  /** The waiting client's request `requestId` asks whether it may go on (after `device.approved`). */
  complete(verificationId: string, completeToken: string, requestId: string): Promise<CompleteOutcome>;
  /** The emailed code: right, the sign-in is handed out to `requestId` as by `complete`; wrong, it costs one try. */
  verifyCode(verificationId: string, completeToken: string, code: string, requestId: string): Promise<CodeOutcome>;
  /**
   * Ends every verification of the account, whatever its state (its password was reset or changed, its
   * second factor turned off, or it was disabled): a sign-in begun with the old credentials cannot
   * finish; its id is then unknown everywhere. How many ended.
   */
  endAllOf(userId: string): Promise<number>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** The key a verification is kept under: its id, hashed (the id is a bearer handle; it is never stored). */
export function verificationKey(verificationId: string): string {
  return createHash('sha256').update(verificationId).digest('base64url');
}

/**
 * The code as kept: HMAC-SHA256 keyed with the verificationId. A plain hash of a 6-digit code is
 * reversed by trying the 10^6 codes; keyed with an id that is itself not stored, it is not.
 */
export function codeDigest(verificationId: string, code: string): string {
  return createHmac('sha256', verificationId).update(code).digest('base64url');
}

/** The completeToken as kept: its SHA-256. It carries at least 128 random bits, so no key is needed against guessing. */
export function completeTokenDigest(completeToken: string): string {
  return createHash('sha256').update(completeToken).digest('base64url');
}

/** Two digests compared in constant time (crypto.timingSafeEqual; unequal lengths are unequal at once, and tell nothing of the content). */
export function sameDigest(presented: string, kept: string | undefined): boolean {
  if (kept === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(kept);
  return a.length === b.length && timingSafeEqual(a, b);
}
