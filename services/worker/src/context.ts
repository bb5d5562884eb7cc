import type { Command, Logger, LoginLimiter, SessionRevocations, UserRepository } from '@authgate/shared';
import type { PasswordHasher } from './passwords.ts';
import type { SessionStore } from './sessions/types.ts';
import type { AccessTokenSigner } from './tokens.ts';
import type { AuditLog } from './audit.ts';

export interface WorkerContext {
  users: UserRepository;
  sessions: SessionStore;
  hasher: PasswordHasher;
  signer: AccessTokenSigner;
  refreshTtlMs: number;
  /** Concurrent refreshes of one token within this window get the same successor pair (REFRESH_GRACE_MS). */
  refreshGraceMs: number;
  /** Told of every correct password: the brute-force counters of that (account, IP) start over. */
  loginLimiter: LoginLimiter;
  /** Logged-out and reuse-revoked sessions, broadcast to every edge. */
  revocations: SessionRevocations;
  audit: AuditLog;
  log: Logger;
}

export interface HandlerOutcome {
  status: number;
  data?: unknown;
}

export type CommandHandler = (command: Command, ctx: WorkerContext) => Promise<HandlerOutcome>;
