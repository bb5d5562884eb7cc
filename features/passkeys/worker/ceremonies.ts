import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { AuthenticationResponse, RegistrationResponse } from '../contract.ts';
import type { RelyingParty } from './relying-party.ts';

/**
 * The two WebAuthn ceremonies, each as options and a verification, through @simplewebauthn/server.
 * What the library does not check, the handlers do (handlers.ts): the challenge is taken from the
 * store (once) before anything is verified, and a sign-in's userHandle must name the credential's owner.
 */

/** How long the browser may take over a ceremony (the challenge itself lives longer: PASSKEY_CHALLENGE_TTL_S). */
const CEREMONY_TIMEOUT_MS = 60_000;
/**
 * ES256 first: the library's default puts EdDSA first, and authenticators (Chromium's virtual one among
 * them) then make Ed25519 keys where nearly every platform authenticator uses ES256. EdDSA and RS256
 * (Windows Hello) are kept.
 */
const ALGORITHMS = [-7, -8, -257];

/** Why a ceremony was refused: a short word for the audit trail and logs, never sent to the client. */
export type RefusalReason =
  | 'challenge'
  | 'origin'
  | 'rp_id'
  | 'user_verification'
  | 'user_presence'
  | 'signature'
  | 'counter'
  | 'unknown_credential'
  | 'user_handle'
  | 'already_registered'
  | 'malformed';

/**
 * A refused ceremony. `detail` is the library's message with its quoted values (challenges, origins)
 * left out: it goes to the log, never to the client, whose answer is one `invalid_credentials` for every
 * reason so that it learns nothing about which check failed.
 */
export class PasskeyRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly detail: string,
  ) {
    super(`passkey refused: ${reason}`);
    this.name = 'PasskeyRefusal';
  }
}

/** The library throws plain Errors with a message; this is the only place that reads one, to name the check. */
function refusalOf(err: unknown): PasskeyRefusal {
  const message = err instanceof Error ? err.message : String(err);
  // Read without its quoted values, which come from the request (a challenge could spell anything).
  const detail = message.replace(/"[^"]*"/g, '"…"').slice(0, 200);
  const reason: RefusalReason = /origin/i.test(detail)
    ? 'origin'
    : /RP ID/i.test(detail)
      ? 'rp_id'
      : /counter/i.test(detail)
        ? 'counter'
        : /user could not be verified/i.test(detail)
          ? 'user_verification'
          : /not present/i.test(detail)
            ? 'user_presence'
            : /challenge/i.test(detail)
              ? 'challenge'
              : 'malformed';
  return new PasskeyRefusal(reason, detail);
}

/** The account as the authenticator stores it: its email (shown in the passkey chooser) and its random handle. */
export interface Registrant {
  email: string;
  /** 32 random bytes, the WebAuthn user.id: not the email, not the user id. */
  handle: Uint8Array;
}

export async function registrationOptions(
  rp: RelyingParty,
  account: Registrant,
  exclude: ReadonlyArray<{ id: string; transports: string[] }>,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: account.email,
    userDisplayName: account.email,
    userID: new Uint8Array(account.handle),
    attestationType: 'none',
    // The account's passkeys: the browser refuses to make a second one on an authenticator that holds one.
    excludeCredentials: exclude.map((c) => ({ id: c.id, transports: c.transports })),
    // A fresh object on every call: the library adds requireResidentKey to the one it is given.
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    supportedAlgorithmIDs: ALGORITHMS,
    timeout: CEREMONY_TIMEOUT_MS,
  });
}

export interface NewCredential {
  id: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  backedUp: boolean;
  deviceType: 'singleDevice' | 'multiDevice';
  aaguid: string;
}

/**
 * Checks: the attestation (format `none` or a verifiable one), the challenge is the one taken from the
 * store, the origin and rp id are PUBLIC_URL's, the user was present and VERIFIED. Options only prefer
 * verification (the contract), but a passkey made without it could never finish a discoverable sign-in,
 * which requires it, so it is refused here rather than stored.
 */
export async function verifyRegistration(rp: RelyingParty, response: RegistrationResponse, expectedChallenge: string): Promise<NewCredential> {
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (err) {
    throw refusalOf(err);
  }
  if (!verified.verified) throw new PasskeyRefusal('signature', 'the attestation did not verify');
  const info = verified.registrationInfo;
  return {
    id: info.credential.id,
    publicKey: new Uint8Array(info.credential.publicKey),
    counter: info.credential.counter,
    transports: [...(info.credential.transports ?? response.response.transports ?? [])],
    backedUp: info.credentialBackedUp,
    deviceType: info.credentialDeviceType,
    aaguid: info.aaguid,
  };
}

/** Discoverable sign-in: no allowCredentials (no account named first), user verification required. */
export async function authenticationOptions(rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({ rpID: rp.id, userVerification: 'required', timeout: CEREMONY_TIMEOUT_MS });
}

export interface StoredCredentialKey {
  id: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
}

/**
 * Checks: the challenge is the one taken from the store, the origin and rp id are PUBLIC_URL's, the
 * user was present and VERIFIED (the sign-in stands in for the password and the second factor, so
 * this is never turned off: browsers pass a response without the UV flag through), the signature
 * verifies with the stored key, and the signature counter went up (unless it stays 0 on both sides,
 * as synced passkeys do). A bad signature is `verified: false`, a malformed one a throw: both refuse.
 */
export async function verifyAuthentication(
  rp: RelyingParty,
  response: AuthenticationResponse,
  expectedChallenge: string,
  credential: StoredCredentialKey,
): Promise<{ newCounter: number; backedUp: boolean }> {
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response: response as unknown as AuthenticationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: credential.id,
        publicKey: new Uint8Array(credential.publicKey),
        counter: credential.counter,
        transports: credential.transports as AuthenticatorTransport[],
      },
      requireUserVerification: true,
    });
  } catch (err) {
    throw refusalOf(err);
  }
  if (!verified.verified) throw new PasskeyRefusal('signature', 'the signature did not verify');
  return { newCounter: verified.authenticationInfo.newCounter, backedUp: verified.authenticationInfo.credentialBackedUp };
}

const CHALLENGE_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The challenge a registration response answers, read from its clientDataJSON (not yet verified: the
 * store's copy is what verifies it). Registration has no challengeId in the contract, so its pending
 * challenge is kept under its own value; undefined when there is none shaped like ours to look up.
 */
export function challengeOfResponse(response: RegistrationResponse): string | undefined {
  try {
    const clientData = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof clientData.challenge === 'string' && CHALLENGE_SHAPE.test(clientData.challenge) ? clientData.challenge : undefined;
  } catch {
    return undefined;
  }
}
