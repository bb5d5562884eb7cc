/** What a user sees of one of their sessions (GET /auth/sessions). */
export interface SessionInfo {
  id: string;
  deviceId?: string | undefined;
  userAgent?: string | undefined;
  ip?: string | undefined;
  createdAt: number;
  lastUsedAt: number;
  /** When the session ends unless refreshed (its refresh token's lifetime). */
  expiresAt: number;
}

export interface SessionSeen {
  userId: string;
  sid: string;
  at: number;
}

/**
 * The sessions of each account, for listing and ending them. The refresh-token state lives in the
 * SessionStore; this is what a person is shown. Last use is written in batches (`touch`), never once per
 * request. Both drivers pass one contract suite.
 */
export interface SessionDirectory {
  add(userId: string, session: SessionInfo): Promise<void>;
  /** The account's live sessions, newest first. */
  list(userId: string): Promise<SessionInfo[]>;
  /** Forgets one session of the account; false if the account has no such session. */
  remove(userId: string, sid: string): Promise<boolean>;
  /** A batch of "this session was used at": one round trip for all of them. */
  touch(seen: readonly SessionSeen[]): Promise<void>;
  /** A refresh moved the session's end. */
  extend(userId: string, sid: string, expiresAt: number, at: number): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export function newestFirst(a: SessionInfo, b: SessionInfo): number {
  return b.createdAt - a.createdAt;
}
