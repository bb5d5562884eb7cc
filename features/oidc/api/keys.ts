import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { calculateJwkThumbprint } from 'jose';
import type { Config } from '@authgate/shared/config';
import { keptPrivateKeyPem } from '@authgate/shared/keys';
import { keptSecret } from '@authgate/shared/security/kept-secret';

/**
 * The OpenID provider's keys, held by the API processes only (never an edge: the edge loads no module
 * of this folder but contract.ts). Its signing key is not the gateway's access-token key: workers sign
 * access tokens, the API signs ID and logout tokens. Rotation as for the gateway's key: publish the
 * next key first (OIDC_OTHER_SIGNING_KEYS), then make it OIDC_SIGNING_KEY with the old one published
 * beside it until what it signed has expired.
 */
export interface OidcKeys {
  /** Private JWKs, the signing one first (oidc-provider signs with the first key of each algorithm). */
  jwks: JWK[];
  /** Keys of the provider's cookies (keygrip), newest first. */
  cookieKeys: string[];
}

const PEM_BLOCK = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/g;

async function privateJwk(key: KeyObject, name: string): Promise<JWK> {
  // RS256 only: the gateway's own RSA default, and the one algorithm every OpenID client must verify.
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`${name} must be an RSA private key (PKCS#8 PEM)`);
  const jwk = key.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, n: jwk.n!, e: jwk.e! } as JWK, 'sha256');
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}

function parsePem(pem: string, name: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new Error(`${name} is not a PKCS#8 PEM private key`);
  }
}

export async function loadOidcKeys(config: Config): Promise<OidcKeys> {
  const signingPem = config.OIDC_SIGNING_KEY ?? keptPrivateKeyPem(config.DATA_DIR, 'oidc-signing-key.pem', 'RS256');
  const jwks = [await privateJwk(parsePem(signingPem, 'OIDC_SIGNING_KEY'), 'OIDC_SIGNING_KEY')];
  for (const pem of config.OIDC_OTHER_SIGNING_KEYS?.match(PEM_BLOCK) ?? []) {
    const jwk = await privateJwk(parsePem(pem, 'OIDC_OTHER_SIGNING_KEYS'), 'OIDC_OTHER_SIGNING_KEYS');
    if (!jwks.some((known) => known.kid === jwk.kid)) jwks.push(jwk);
  }
  if (config.OIDC_OTHER_SIGNING_KEYS && jwks.length === 1 && !config.OIDC_OTHER_SIGNING_KEYS.match(PEM_BLOCK))
    throw new Error('OIDC_OTHER_SIGNING_KEYS holds no PKCS#8 PEM block (-----BEGIN PRIVATE KEY-----)');
  const cookieKeys = config.OIDC_COOKIE_KEYS.length > 0 ? config.OIDC_COOKIE_KEYS : [keptSecret(config.DATA_DIR, 'oidc-cookie-key')];
  return { jwks, cookieKeys };
}
