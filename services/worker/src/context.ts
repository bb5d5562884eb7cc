import type { Command, Logger } from '@authgate/shared';
import type { UserRepository } from '@authgate/shared';
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
  audit: AuditLog;
  log: Logger;
}

export interface HandlerOutcome {
  status: number;
  data?: unknown;
}

export type CommandHandler = (command: Command, ctx: WorkerContext) => Promise<HandlerOutcome>;
