import { SoftCredential } from './soft-authenticator.ts';

/**
 * `navigator.credentials` in Node, for the SDK's tests: the soft authenticator behind the browser's
 * API, as a page at `origin` would call it. It takes and gives ArrayBuffers as browsers do, so the
 * SDK's own conversions (its base64url helpers, the toJSON() forms) are what is tested; it refuses
 * as a browser does: `InvalidStateError` for an excluded credential it holds, `NotAllowedError` when
 * it holds none for the rp id asked.
 */
export interface SoftNavigator {
  /** The passkeys it holds, as a synced passkey provider would on every device. */
  readonly credentials: SoftCredential[];
  uninstall(): void;
}

const b64url = (data: ArrayBuffer) => Buffer.from(data).toString('base64url');
const buffer = (text: string): ArrayBuffer => {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
};

function domError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** The PublicKeyCredential a browser hands back, made from the JSON the soft authenticator writes. */
function asBrowserCredential(json: { id: string; rawId: string; type: string; clientExtensionResults: object; response: Record<string, unknown> }) {
  const response: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json.response)) if (typeof value === 'string') response[key] = buffer(value);
  const transports = json.response.transports;
  if (Array.isArray(transports)) response.getTransports = () => transports;
  return {
    id: json.id,
    rawId: buffer(json.rawId),
    type: json.type,
    authenticatorAttachment: 'platform',
    getClientExtensionResults: () => json.clientExtensionResults,
    response,
  };
}

export function installSoftNavigator(origin: string): SoftNavigator {
  const held: SoftCredential[] = [];
  const g = globalThis as Record<string, unknown>;
  const before = { navigator: Object.getOwnPropertyDescriptor(g, 'navigator'), PublicKeyCredential: g.PublicKeyCredential, isSecureContext: g.isSecureContext };
  const credentials = {
    async create({ publicKey }: { publicKey: any }) {
      const excluded = ((publicKey.excludeCredentials ?? []) as Array<{ id: ArrayBuffer }>).map((d) => b64url(d.id));
      if (held.some((c) => excluded.includes(c.id))) throw domError('InvalidStateError', 'The authenticator holds one of the credentials already registered.');
      const credential = new SoftCredential(b64url(publicKey.user.id));
      held.push(credential);
      return asBrowserCredential(credential.register({ origin, rpId: publicKey.rp.id, challenge: b64url(publicKey.challenge) }));
    },
    async get({ publicKey }: { publicKey: any }) {
      const credential = held.at(-1);
      if (!credential) throw domError('NotAllowedError', 'The operation either timed out or was not allowed.');
      return asBrowserCredential(credential.assert({ origin, rpId: publicKey.rpId, challenge: b64url(publicKey.challenge) }));
    },
  };
  Object.defineProperty(g, 'navigator', { value: { credentials }, configurable: true, writable: true });
  g.PublicKeyCredential = function PublicKeyCredential() {};
  g.isSecureContext = true;
  return {
    credentials: held,
    uninstall() {
      if (before.navigator) Object.defineProperty(g, 'navigator', before.navigator);
      else delete g.navigator;
      g.PublicKeyCredential = before.PublicKeyCredential;
      g.isSecureContext = before.isSecureContext;
    },
  };
}
