import type { UserRepository } from '@authgate/shared/db/users';
import type { Logger } from '@authgate/shared/logger';
import type { LoginLimiter } from '@authgate/shared/security/login-limiter';
import type { SessionRevocations } from '@authgate/shared/security/revocations';
import type { PasswordHasher } from './passwords.ts';
import type { LiveEvents } from '@authgate/shared/live/types';
import type { SessionDirectory } from '@authgate/features/sessions/stores/directory';
import type { SessionStore } from '@authgate/features/sessions/stores/sessions';
import type { AccessTokenSigner } from './tokens.ts';
import type { SessionExtensions } from './session-extensions.ts';
import type { AuditLog } from './audit.ts';
import type { MailQueue } from '@authgate/shared/mail/types';
import type { KnownDevices } from '@authgate/features/devices/stores/known-devices';
import type { DeviceVerifications } from '@authgate/features/devices/stores/verifications';
import type { EmailTokenRepository } from '@authgate/features/email/stores/email-tokens';
import type { AccountMailLimits } from './email/mail-limits.ts';
import type { SecondFactorContext } from '@authgate/features/second-factor/worker/second-factor';
import type { DeviceLimits } from '@authgate/features/devices/worker/device-limits';
import type { PasskeyContext } from '@authgate/features/passkeys/worker/context';
import type { StuffingContext } from '@authgate/features/stuffing/worker/context';

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
  /** The account's sessions as a person sees them (list, revoke). */
  directory: SessionDirectory;
  /** A refresh's new session end in the sessions list, written in batches (off the refresh's path). */
  extensions: SessionExtensions;
  /** Live events to the account's open WebSockets, on whichever edges hold them. */
  live: LiveEvents;
  audit: AuditLog;
  /** Mail jobs to the mailer: published (confirmed) before the command's answer says a mail is on its way. */
  mail: MailQueue;
  /** The devices each account has completed a sign-in from (hashed, first and last seen). */
  devices: KnownDevices;
  /** Sign-ins waiting for a new device's approval (or its emailed code). */
  deviceVerifications: DeviceVerifications;
  /** DEVICE_VERIFICATION=on: a sign-in from a new device of an account waits for an approval. */
  deviceVerification: boolean;
  /** Wrong device codes per account and address; code mails and approval prompts per account and hour. */
  deviceLimits: DeviceLimits;
  /** Email verification and password reset tokens, kept as hashes. */
  emailTokens: EmailTokenRepository;
  /** Mails per account per hour (verification, reset). */
  mailLimits: AccountMailLimits;
  /** REQUIRE_VERIFIED_EMAIL: an unverified account may not sign in. */
  requireVerifiedEmail: boolean;
  /** TOTP enrolments, pending mfa_required challenges, and the limits on codes. */
  mfa: SecondFactorContext;
  /** The relying party (from PUBLIC_URL), the stored passkeys and the pending ceremonies. */
  passkeys: PasskeyContext;
  /** Failed password logins feed the deployment-wide stuffing window; new passwords meet the breach check. */
  stuffing: StuffingContext;
  log: Logger;
}

export interface HandlerOutcome {
  status: number;
  data?: unknown;
}
