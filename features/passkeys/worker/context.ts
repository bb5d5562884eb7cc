import type { Logger } from '@authgate/shared/logger';
import type { PasskeyChallengeStore } from '../stores/challenges.ts';
import type { PasskeyRepository } from '../stores/db-passkeys.ts';
import type { RelyingParty } from './relying-party.ts';

/** What the passkey handlers need beside the worker's common context (users, sessions, audit, live, mail). */
export interface PasskeyContext {
  relyingParty: RelyingParty;
  credentials: PasskeyRepository;
  challenges: PasskeyChallengeStore;
  /** How long a challenge waits for its answer: PASSKEY_CHALLENGE_TTL_S (at most the contract's 5 minutes). */
  challengeTtlMs: number;
}

/** Builds it for a worker; says once, at start, when PUBLIC_URL makes passkeys impossible (an IP host). */
export function passkeyContext(
  parts: { relyingParty: RelyingParty; credentials: PasskeyRepository; challenges: PasskeyChallengeStore; challengeTtlS: number },
  log: Logger,
): PasskeyContext {
  if (parts.relyingParty.unavailable) log.warn({ publicUrl: parts.relyingParty.origin }, parts.relyingParty.unavailable);
  return { relyingParty: parts.relyingParty, credentials: parts.credentials, challenges: parts.challenges, challengeTtlMs: parts.challengeTtlS * 1000 };
}
