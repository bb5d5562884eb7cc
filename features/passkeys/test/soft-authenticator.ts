import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software authenticator in node:crypto: it makes the RegistrationResponseJSON (attestation `none`)
 * and AuthenticationResponseJSON a browser would send, signed for real, so that the workers' checks
 * run on real ceremonies without a browser, and each refusal can be made on purpose (another origin,
 * another rp id, no user verification, a counter that goes back). The browser tests use Chromium's
 * virtual authenticator instead.
 */

/** COSE algorithms: ES256, EdDSA (Ed25519), RS256. */
export type Alg = -7 | -8 | -257;

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const u32 = (n: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n >>> 0);
  return out;
};

export interface Ceremony {
  /** The page's origin as the browser would write it in clientDataJSON. */
  origin: string;
  /** The rp id whose SHA-256 opens authenticatorData (the browser takes it from the options). */
  rpId: string;
  challenge: string;
  /** User verification done (the UV flag); default true. */
  uv?: boolean;
  /** User presence (the UP flag); default true. */
  up?: boolean;
}

export class SoftCredential {
  readonly rawId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly cosePublicKey: Uint8Array;
  /** The authenticator's signature counter: +1 per assertion unless an assertion sets it. */
  signCount = 0;

  constructor(
    /** The user.id of the registration options: the account's handle, returned at each sign-in. */
    readonly userHandle: string,
    readonly alg: Alg = -7,
  ) {
    const pair =
      alg === -7
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : alg === -8
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const bytes = (s?: string) => new Uint8Array(Buffer.from(s ?? '', 'base64url'));
    const key = new Map<number, number | Uint8Array>();
    const entries: Array<[number, number | Uint8Array]> =
      alg === -7
        ? [
            [1, 2],
            [3, -7],
            [-1, 1],
            [-2, bytes(jwk.x)],
            [-3, bytes(jwk.y)],
          ]
        : alg === -8
          ? [
              [1, 1],
              [3, -8],
              [-1, 6],
              [-2, bytes(jwk.x)],
            ]
          : [
              [1, 3],
              [3, -257],
              [-1, bytes(jwk.n)],
              [-2, bytes(jwk.e)],
            ];
    for (const [k, v] of entries) key.set(k, v);
    this.cosePublicKey = isoCBOR.encode(key);
  }

  get id(): string {
    return this.rawId.toString('base64url');
  }

  private flags({ uv = true, up = true, attested = false }: { uv?: boolean; up?: boolean; attested?: boolean }): number {
    return (up ? 0x01 : 0) | (uv ? 0x04 : 0) | (attested ? 0x40 : 0);
  }

  /** The answer to registration options (navigator.credentials.create), as its toJSON(). */
  register(ceremony: Ceremony) {
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: ceremony.challenge, origin: ceremony.origin, crossOrigin: false }));
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.rawId.length);
    const authData = Buffer.concat([
      sha256(ceremony.rpId),
      Buffer.from([this.flags({ uv: ceremony.uv, up: ceremony.up, attested: true })]),
      u32(this.signCount),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      this.rawId,
      Buffer.from(this.cosePublicKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]) as never,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
    };
  }

  /** The answer to sign-in options (navigator.credentials.get), as its toJSON(). `signCount` sets the counter it reports. */
  assert(ceremony: Ceremony & { signCount?: number }) {
    this.signCount = ceremony.signCount ?? this.signCount + 1;
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: ceremony.challenge, origin: ceremony.origin, crossOrigin: false }));
    const authData = Buffer.concat([sha256(ceremony.rpId), Buffer.from([this.flags({ uv: ceremony.uv, up: ceremony.up })]), u32(this.signCount)]);
    const signature = sign(this.alg === -8 ? null : 'sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: this.userHandle,
      },
    };
  }
}

/** A copy of `b64url` with one bit of byte `index` (negative: from the end) flipped. */
export function flipBit(b64url: string, index: number): string {
  const buf = Buffer.from(b64url, 'base64url');
  const i = index < 0 ? buf.length + index : index;
  buf[i] = buf[i]! ^ 0x01;
  return buf.toString('base64url');
}
