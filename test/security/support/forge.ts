import { constants, createHmac, randomUUID, sign, type KeyObject } from 'node:crypto';
import { recordSecret } from './secrets.ts';

/**
 * Hand-made JWTs for attacks: any header, any claims, any algorithm, signed by any key, without a
 * library's checks getting in the way of a malformed token.
 */
export const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

export interface Claims {
  iss?: string;
  aud?: string;
  sub?: string;
  sid?: string;
  iat?: number;
  exp?: number;
  nbf?: number;
  jti?: string;
  [name: string]: unknown;
}

/** The claims a worker puts in an access token (defaults of JWT_ISSUER and JWT_AUDIENCE). */
export function validClaims(overrides: Claims = {}): Claims {
  return { iss: 'authgate', aud: 'authgate', sub: randomUUID(), sid: randomUUID(), iat: now(), exp: now() + 600, jti: randomUUID(), ...overrides };
}

export type Signer = { alg: 'RS256' | 'RS512' | 'PS256'; key: KeyObject } | { alg: 'HS256'; secret: Uint8Array } | { alg: 'none' | 'None' | 'NONE' };

export function forge(header: Record<string, unknown>, claims: Claims, signer: Signer): string {
  const fullHeader = { typ: 'JWT', ...header, alg: signer.alg };
  const input = `${b64(fullHeader)}.${b64(claims)}`;
  let signature = '';
  if (signer.alg === 'HS256') signature = createHmac('sha256', signer.secret).update(input).digest('base64url');
  else if (signer.alg === 'RS256') signature = sign('sha256', Buffer.from(input), signer.key).toString('base64url');
  else if (signer.alg === 'RS512') signature = sign('sha512', Buffer.from(input), signer.key).toString('base64url');
  else if (signer.alg === 'PS256')
    signature = sign('sha256', Buffer.from(input), { key: signer.key, padding: constants.RSA_PKCS1_PSS_PADDING }).toString('base64url');
  const token = `${input}.${signature}`;
  recordSecret(token);
  return token;
}

/** Flips one character in the middle of a token part (0 header, 1 payload, 2 signature). */
export function flipCharacter(token: string, part: 0 | 1 | 2): string {
  const parts = token.split('.');
  const text = parts[part]!;
  const at = text.length >> 1;
  parts[part] = `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
  return parts.join('.');
}

export function decodePart(token: string, part: 0 | 1): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[part]!, 'base64url').toString('utf8'));
}
