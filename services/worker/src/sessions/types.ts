export interface NewSession {
  sid: string;
  userId: string;
  email: string;
  deviceId?: string | undefined;
  refreshHash: string;
}

export type RotateOutcome =
  | { status: 'rotated'; userId: string; email: string }
  /** A refresh token that was already rotated came back: the whole session is now revoked. */
  | { status: 'reused'; userId: string }
  | { status: 'unknown' };

/**
 * Sessions and their refresh-token family. A session holds the hash of its current refresh token and
 * the hashes of the ones it replaced; only the current one rotates, and presenting a replaced one
 * revokes the session. Tokens never stored in clear.
 */
export interface SessionStore {
  create(session: NewSession, ttlMs: number): Promise<void>;
  rotate(sid: string, presentedHash: string, nextHash: string, ttlMs: number): Promise<RotateOutcome>;
  /** Ends the session if `presentedHash` is its current refresh token. */
  revoke(sid: string, presentedHash: string): Promise<boolean>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** How many replaced refresh-token hashes a session remembers for reuse detection. */
export const REPLACED_HASHES_KEPT = 50;
