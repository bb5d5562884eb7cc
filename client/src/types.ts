import type { ChallengeProgress } from '../../features/stuffing/sdk.ts';
import type { PasskeyLiveEvents } from '../../features/passkeys/sdk.ts';

/** The shapes of the contract (/work/shared/API.md, docs/rest.md) as the client sees them. */

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  sessionId: string;
  user: { id: string; email: string };
}

/** A signed-in session as the client keeps it: the token pair and when its access token expires. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: { id: string; email: string };
  /** Epoch ms at which the access token expires (the client's clock at receipt + expiresIn). */
  expiresAt: number;
}

/**
 * A new device's waiting sign-in: the `verificationId` every signed-in session of the account is shown
 * (to approve it), and the `completeToken` that only this client was given, without which no one can
 * finish the sign-in. The client keeps it for `completeDevice`, `verifyDevice` and `waitForDeviceApproval`.
 */
export interface DeviceChallenge {
  verificationId: string;
  completeToken: string;
}

export type LoginOutcome =
  | { kind: 'signed_in'; session: Session }
  | { kind: 'mfa_required'; mfaToken: string; methods: string[] }
  /** `notified: false`: the account was sent its hourly share of prompts and code mails; none was sent for this one. */
  | ({ kind: 'device_verification_required'; expiresIn: number; notified: boolean } & DeviceChallenge);

export interface SessionInfo {
  id: string;
  current: boolean;
  deviceId: string | null;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AccountEvent {
  id: string;
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  deviceId: string | null;
  data: Record<string, unknown>;
}

export interface EventPage {
  events: AccountEvent[];
  next: string | null;
}

export interface Me {
  id: string;
  email: string;
  emailVerified?: boolean;
  mfaEnabled?: boolean;
  createdAt: string;
}

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
}

/** The live events of the contract (docs/websocket.md) and their data. */
export interface LiveEventMap extends PasskeyLiveEvents {
  'session.revoked': { sessionId: string; reason: string };
  'security.new_sign_in': { sessionId: string; ip: string; userAgent: string | null; deviceId: string | null; at: string };
  'security.refresh_reuse': { sessionId: string; ip: string; at: string };
  'device.approval_requested': { verificationId: string; ip: string; userAgent: string | null; at: string };
  'device.approved': { verificationId: string };
  'device.denied': { verificationId: string };
  'password.changed': Record<string, unknown>;
  'mfa.enabled': Record<string, unknown>;
}

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What the client itself tells: its session and its connection. */
export interface ClientEventMap {
  /** A session began (sign-in, a device approved, another tab signed in). */
  signed_in: { session: Session };
  /** The session ended: logout, revoked (live, with the server's reason), refresh refused, another tab. */
  signed_out: { reason: string };
  /** New tokens (a refresh, here or in another tab). */
  tokens: { session: Session };
  /** The WebSocket's state; `attempt` counts reconnects since the last open. */
  connection: { state: ConnectionState; attempt: number };
  /** A login was asked to solve a proof of work (credential stuffing defence) and is solving it, then solved it. */
  challenge: ChallengeProgress;
}

export type EventMap = LiveEventMap & ClientEventMap;
export type EventName = keyof EventMap;
