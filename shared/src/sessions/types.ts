export interface NewSession {
  sid: string;
  userId: string;
  email: string;
  deviceId?: string | undefined;
  refreshHash: string;
}

/** The successor pair of a rotation, sealed (successor.ts), kept for a concurrent refresh of the same token. */
export interface GraceSuccessor {
  sealed: string;
  graceMs: number;
}

export type RotateOutcome =
  | { status: 'rotated'; userId: string; email: string }
  /** The token was rotated moments ago (within the grace window): here is the pair that replaced it. */
  | { status: 'grace'; userId: string; sealed: string }
  /** A refresh token that was already rotated came back: the whole session is now revoked. */
  | { status: 'reused'; userId: string }
  | { status: 'unknown' };

/**
 * Sessions and their refresh-token family. A session holds the hash of its current refresh token and
 * the hashes of the ones it replaced; only the current one rotates, and presenting a replaced one
 * revokes the session, unless it was replaced within the grace window: then the same successor is
 * handed out again. Tokens are never stored in clear.
 */
export interface SessionStore {
  create(session: NewSession, ttlMs: number): Promise<void>;
  /** The owner of a live session, read before a rotation to sign the successor's access token. */
  peek(sid: string): Promise<{ userId: string; email: string } | undefined>;
  rotate(sid: string, presentedHash: string, nextHash: string, ttlMs: number, successor?: GraceSuccessor): Promise<RotateOutcome>;
  /** Ends the session if `presentedHash` is its current refresh token. */
  revoke(sid: string, presentedHash: string): Promise<boolean>;
  /** Ends the session whatever its refresh token (a user or an administrator revoked it). */
  end(sid: string): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** How many replaced refresh-token hashes a session remembers for reuse detection. */
export const REPLACED_HASHES_KEPT = 50;
