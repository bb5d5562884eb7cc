import { sdkCommands } from '../../client/src/command-spec.ts';
import { PASSKEY_ROUTES } from './routes.ts';
import type { SdkCore } from '../../client/src/core.ts';
import type { Session, TokenPair } from '../../client/src/types.ts';

/**
 * The passkeys' part of the client SDK: its commands and a dependency-free bridge to
 * `navigator.credentials`. The server speaks the WebAuthn JSON forms (L3 `toJSON()`: every binary
 * field base64url without padding); the browser API takes and gives ArrayBuffers. Written by hand,
 * not with PublicKeyCredential.parseCreationOptionsFromJSON / toJSON(), which older Safari and Firefox
 * lack. No zod, no node: imports: it is bundled into the browser build (client/dist).
 *
 * Browser errors pass through as the DOMExceptions they are: `NotAllowedError` (cancelled, timed out,
 * no passkey for this site here, or user verification failed: one message for all, by design),
 * `InvalidStateError` (this authenticator holds one of the account's passkeys already),
 * `SecurityError` (the page's host does not fit the relying party, or is an IP address),
 * `NotSupportedError` (no WebAuthn here).
 */

/** The client's commands of the feature, by WebSocket message name, with their REST routes. */
export const PASSKEY_COMMANDS = sdkCommands(PASSKEY_ROUTES);

/** A passkey of the account as GET /auth/passkeys lists it. */
export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** The live events of the feature (docs/websocket.md): the account's sockets hear of a passkey added or removed. */
export interface PasskeyLiveEvents {
  'passkey.registered': { id: string; name: string; at: string; sessionId: string };
  'passkey.removed': { id: string; name: string; at: string; sessionId: string };
}

type Json = Record<string, unknown>;

/** What the bridge needs of the browser (the Node typings the SDK is checked with have no DOM). */
interface BrowserCredential {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  authenticatorAttachment?: string | null;
  getClientExtensionResults(): Json;
  response: Record<string, unknown> & { clientDataJSON: ArrayBuffer };
}
interface CredentialsContainer {
  create(options: { publicKey: Json; signal?: unknown }): Promise<BrowserCredential | null>;
  get(options: { publicKey: Json; signal?: unknown; mediation?: string }): Promise<BrowserCredential | null>;
}

function credentials(): CredentialsContainer {
  const g = globalThis as unknown as { navigator?: { credentials?: CredentialsContainer }; PublicKeyCredential?: unknown };
  if (typeof g.PublicKeyCredential !== 'function' || !g.navigator?.credentials) {
    const err = new Error('passkeys are not supported here (no WebAuthn, or not a secure context)');
    err.name = 'NotSupportedError';
    throw err;
  }
  return g.navigator.credentials;
}

/** Whether this browser can use passkeys at all (a secure context with WebAuthn). */
export function passkeysSupported(): boolean {
  try {
    credentials();
    return (globalThis as { isSecureContext?: boolean }).isSecureContext !== false;
  } catch {
    return false;
  }
}

/** ArrayBuffer or a view of one → base64url without padding. */
export function toBase64url(data: ArrayBuffer | ArrayBufferView): string {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url (padding optional) → ArrayBuffer; a TypeError for anything else. */
export function fromBase64url(text: string): ArrayBuffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new TypeError('not a base64url string');
  const base64 = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '==='.slice((base64.length + 3) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

const descriptor = (d: Json) => ({ ...d, id: fromBase64url(String(d.id)) });

/** PublicKeyCredentialCreationOptionsJSON → the options of navigator.credentials.create(). */
export function creationOptions(json: Json): Json {
  const user = json.user as Json;
  return {
    ...json,
    challenge: fromBase64url(String(json.challenge)),
    user: { ...user, id: fromBase64url(String(user.id)) },
    excludeCredentials: ((json.excludeCredentials as Json[] | undefined) ?? []).map(descriptor),
  };
}

/** PublicKeyCredentialRequestOptionsJSON → the options of navigator.credentials.get(). */
export function requestOptions(json: Json): Json {
  const allow = json.allowCredentials as Json[] | undefined;
  return { ...json, challenge: fromBase64url(String(json.challenge)), ...(allow ? { allowCredentials: allow.map(descriptor) } : {}) };
}

/** A getter some browsers lack (getTransports, getPublicKey, ...): undefined there. */
function optional(response: Json, name: string): unknown {
  const getter = response[name];
  try {
    return typeof getter === 'function' ? getter.call(response) : undefined;
  } catch {
    return undefined;
  }
}

function common(credential: BrowserCredential): Json {
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

/** A created credential → RegistrationResponseJSON. */
export function registrationJSON(credential: BrowserCredential): Json {
  const r = credential.response;
  const response: Json = { clientDataJSON: toBase64url(r.clientDataJSON), attestationObject: toBase64url(r.attestationObject as ArrayBuffer) };
  const transports = optional(r, 'getTransports');
  if (Array.isArray(transports)) response.transports = transports;
  const algorithm = optional(r, 'getPublicKeyAlgorithm');
  if (typeof algorithm === 'number') response.publicKeyAlgorithm = algorithm;
  const publicKey = optional(r, 'getPublicKey');
  if (publicKey) response.publicKey = toBase64url(publicKey as ArrayBuffer);
  const authenticatorData = optional(r, 'getAuthenticatorData');
  if (authenticatorData) response.authenticatorData = toBase64url(authenticatorData as ArrayBuffer);
  return { ...common(credential), response };
}

/** An assertion → AuthenticationResponseJSON; `userHandle` is the account's handle the server checks. */
export function authenticationJSON(credential: BrowserCredential): Json {
  const r = credential.response;
  const response: Json = {
    clientDataJSON: toBase64url(r.clientDataJSON),
    authenticatorData: toBase64url(r.authenticatorData as ArrayBuffer),
    signature: toBase64url(r.signature as ArrayBuffer),
  };
  if (r.userHandle) response.userHandle = toBase64url(r.userHandle as ArrayBuffer);
  return { ...common(credential), response };
}

/** Makes a passkey with the server's creation options; the RegistrationResponseJSON to send back. */
export async function createPasskey(options: Json, signal?: unknown): Promise<Json> {
  const credential = await credentials().create({ publicKey: creationOptions(options), ...(signal ? { signal } : {}) });
  if (!credential) throw new Error('the browser returned no passkey');
  return registrationJSON(credential);
}

/** Asks the browser for one of this site's passkeys (discoverable: no account named); the AuthenticationResponseJSON. */
export async function getPasskey(options: Json, signal?: unknown): Promise<Json> {
  const credential = await credentials().get({ publicKey: requestOptions(options), ...(signal ? { signal } : {}) });
  if (!credential) throw new Error('the browser returned no passkey');
  return authenticationJSON(credential);
}

/** The feature's methods of the client (client/src/client.ts exposes them). */
export function passkeysSdk(core: SdkCore) {
  return {
    /** Adds a passkey to the signed-in account: the browser makes it (its own prompt), the gateway keeps it. */
    async registerPasskey(name?: string): Promise<Omit<PasskeyInfo, 'lastUsedAt'>> {
      const options = (await core.authed('passkey_register_options', {})).data as Record<string, unknown>;
      const response = await createPasskey(options);
      return (await core.authed('passkey_register', { response, ...(name ? { name } : {}) })).data as Omit<PasskeyInfo, 'lastUsedAt'>;
    },
    async listPasskeys(): Promise<PasskeyInfo[]> {
      return (await core.authed('passkeys_list', {})).data as PasskeyInfo[];
    },
    async deletePasskey(id: string): Promise<void> {
      await core.authed('passkey_delete', { passkeyId: id });
    },
    /**
     * Signs in with one of this site's passkeys, no email typed (the browser asks which). A passkey with
     * user verification stands for the password and the second factor, and needs no device approval: the
     * outcome is a session, or an error (`invalid_credentials`, `account_disabled`, a browser DOMException).
     */
    async signInWithPasskey(options: { deviceId?: string } = {}): Promise<Session> {
      const begun = (await core.send('passkey_login_options', {})).data as { challengeId: string; options: Record<string, unknown> };
      const response = await getPasskey(begun.options);
      const { data } = await core.send('passkey_login', { challengeId: begun.challengeId, response, deviceId: options.deviceId ?? core.deviceId });
      return core.adopt(data as TokenPair, 'passkey_login');
    },
  };
}
