import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { Config } from '@authgate/shared/config';
import type { SigningKey } from '@authgate/shared/keys';

export interface TokenOptions {
  alg?: string;
  kid?: string | undefined;
  key?: KeyObject | Uint8Array;
  claims?: JWTPayload;
  iss?: string;
  aud?: string;
  sub?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
}

export const now = () => Math.floor(Date.now() / 1000);

/** An access token as a worker would sign it, with any part overridden (forgeries for the verifiers' tests). */
export async function signTestToken(signing: SigningKey, config: Pick<Config, 'JWT_ISSUER' | 'JWT_AUDIENCE'>, options: TokenOptions = {}): Promise<string> {
  const header: { alg: string; typ: string; kid?: string } = { alg: options.alg ?? 'RS256', typ: 'JWT' };
  const kid = 'kid' in options ? options.kid : signing.kid;
  if (kid !== undefined) header.kid = kid;
  const jwt = new SignJWT({ sid: randomUUID(), ...options.claims })
    .setProtectedHeader(header)
    .setIssuer(options.iss ?? config.JWT_ISSUER)
    .setAudience(options.aud ?? config.JWT_AUDIENCE)
    .setSubject(options.sub ?? randomUUID())
    .setIssuedAt(options.iat ?? now())
    .setExpirationTime(options.exp ?? now() + 900)
    .setJti(randomUUID());
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.key ?? signing.privateKey);
}
