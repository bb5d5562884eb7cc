import type { EventMap, LoginOutcome, Session, TokenPair } from './types.ts';

/** A command's answer: its HTTP status (or the result frame's) and its body. */
export interface Sent {
  status: number;
  data: unknown;
}

/**
 * What a feature's part of the SDK (features/<name>/sdk.ts) builds its methods on: the client's
 * transport and session. The client (client.ts) implements it and exposes each feature's methods.
 */
export interface SdkCore {
  readonly deviceId: string;
  /** Sends a command by its name, over the socket or REST as the client is set up. */
  send(name: string, body: Record<string, unknown>): Promise<Sent>;
  /** A command for the signed-in session: with a fresh access token, and once more after a refresh if refused. */
  authed(name: string, body: Record<string, unknown>): Promise<Sent>;
  /**
   * A step of a sign-in: the session, or where it stopped as an outcome (`mfa_required`,
   * `device_verification_required`, whose completeToken the client keeps); a stuffing challenge is solved on the way.
   */
  signInStep(name: string, body: Record<string, unknown>): Promise<LoginOutcome>;
  /** Takes a token pair as the session (`via`: the command it came from, which may bind the socket). */
  adopt(pair: TokenPair, via: string): Session;
  /** The completeToken of each new-device sign-in this client waits on, by verificationId: only it can finish one. */
  readonly deviceChallenges: Map<string, string>;
  on<K extends keyof EventMap>(name: K, listener: (data: EventMap[K]) => void): () => void;
}
