/**
 * How a session was signed in, as RFC 8176 names it (the `amr` claim): `pwd` a password, `otp` a
 * one-time code of the second factor (TOTP or a recovery code), `hwk` a passkey (a key held in hardware).
 */
export type AuthMethod = 'pwd' | 'otp' | 'hwk';

/** What a session keeps of its sign-in, for every access token it is issued: `amr` and `auth_time`. */
export interface SignedIn {
  amr: AuthMethod[];
  /** Epoch seconds of the sign-in (`auth_time`). */
  authTime: number;
}

export interface NewSession {
  sid: string;
  userId: string;
  email: string;
  /** The device that signed in (login's deviceId): where there is one, the only one a grace replay is answered for. */
  deviceId?: string | undefined;
  refreshHash: string;
  signedIn: SignedIn;
}

/** One refresh: the presented token's hash, its successor's, and who presents it. */
export interface RotateRequest {
  sid: string;
  presentedHash: string;
  nextHash: string;
  ttlMs: number;
  /** The deviceId sent with the refresh; for a session with a device, the grace answers only when it is that one. */
  deviceId?: string | undefined;
  /** The successor refresh token sealed under the presented one (successor.ts), kept for the grace window. */
  successor?: GraceSuccessor | undefined;
  /**
   * The command's requestId. The session remembers those of its last ROTATIONS_REMEMBERED rotations:
   * the same command run again (a publisher's re-send, a redelivery) is told `duplicate`, or gets the
   * successor it rotated to, and never counts as a reuse of its own token.
   */
  requestId?: string | undefined;
}

export interface GraceSuccessor {
  sealed: string;
  graceMs: number;
}

export type RotateOutcome =
  | { status: 'rotated'; userId: string; email: string; signedIn: SignedIn }
  /**
   * The token was replaced moments ago by a successor that is still unused, and it is presented again
   * (a concurrent refresh), by the session's own device where it has one: here is that successor, sealed.
   */
  | { status: 'grace'; userId: string; email: string; sealed: string; signedIn: SignedIn }
  /** A refresh token that was already replaced came back: the whole family is now revoked. */
  | { status: 'reused'; userId: string }
  /** This very command (its requestId) rotated the session already and its successor is not kept: nothing to answer again. */
  | { status: 'duplicate' }
  | { status: 'unknown' };

export type RevokeOutcome =
  | { status: 'revoked'; userId: string }
  /** Logout with a replaced token: a replay like any other, so the whole family is now revoked. */
  | { status: 'reused'; userId: string }
  | { status: 'unknown' };

/**
 * Sessions and their refresh-token family. A session holds the hash of its current refresh token and
 * the hashes of the ones it replaced (for a refresh token's lifetime, at most REPLACED_HASHES_KEPT);
 * only the current one rotates. Presenting a replaced one revokes the session, with one exception:
 * the token replaced last, while its successor is unused, within the grace window, gets that successor
 * again, for a session with or without a device; where it has one, only when the refresh names it.
 * Each decision is one atomic step. Tokens are never stored in clear.
 */
export interface SessionStore {
  create(session: NewSession, ttlMs: number): Promise<void>;
  /** The owner of a live session. */
  peek(sid: string): Promise<{ userId: string; email: string } | undefined>;
  rotate(request: RotateRequest): Promise<RotateOutcome>;
  /** Logout: ends the session if `presentedHash` is its current token, and also (as a reuse) if it is a replaced one. */
  revoke(sid: string, presentedHash: string): Promise<RevokeOutcome>;
  /** Ends the session whatever its refresh token (a user or an administrator revoked it). */
  end(sid: string): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * How many replaced refresh-token hashes a session remembers for reuse detection, besides dropping
 * those older than a refresh token's lifetime. 4096 covers a client refreshing every 15 minutes for
 * 30 days (2880 rotations, the default lifetimes) and bounds one session's history to about 400 KB.
 */
export const REPLACED_HASHES_KEPT = 4096;

/** The requestIds of a session's last rotations it remembers, to tell a command run twice from a reuse. */
export const ROTATIONS_REMEMBERED = 16;
