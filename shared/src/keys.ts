import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync, linkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Config } from './config.ts';
import { ensurePrivateDir } from './private-dir.ts';

export const SIGNING_ALG = 'RS256';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface VerificationKeys {
  /** The public JWKS, served at /.well-known/jwks.json. */
  jwks: { keys: JWK[] };
  byKid: Map<string, KeyObject>;
}

/**
 * Development only: one RS256 key kept in DATA_DIR so tokens survive restarts. Created with an
 * exclusive link so that processes starting together agree on a single key.
 */
function devPrivateKeyPem(dataDir: string): string {
  const dir = path.resolve(dataDir, 'keys');
  const file = path.join(dir, 'jwt-signing-key.pem');
  ensurePrivateDir(path.resolve(dataDir));
  ensurePrivateDir(dir);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, pem, { mode: 0o600 });
    try {
      linkSync(tmp, file); // fails if another process won the race; then we use its key
    } catch {
      /* keep the winner's key */
    } finally {
      unlinkSync(tmp);
    }
    return readFileSync(file, 'utf8');
  }
}

function privateKeyPem(config: Config): string {
  return config.JWT_PRIVATE_KEY ?? devPrivateKeyPem(config.DATA_DIR);
}

async function publicJwkOf(key: KeyObject): Promise<JWK & { kid: string }> {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' };
}

/** The worker's key, parsed once into a KeyObject (signing with a PEM string re-parses it each time). */
export async function loadSigningKey(config: Config): Promise<SigningKey> {
  const privateKey = createPrivateKey(privateKeyPem(config));
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('JWT_PRIVATE_KEY must be an RSA key (RS256)');
  const { kid } = await publicJwkOf(privateKey);
  return { kid, privateKey };
}

function parseJwks(name: string, json: string): JWK[] {
  let parsed: { keys?: JWK[] };
  try {
    parsed = JSON.parse(json) as { keys?: JWK[] };
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  if (!Array.isArray(parsed?.keys) || parsed.keys.length === 0) throw new Error(`${name} must be a JWKS with at least one key`);
  return parsed.keys;
}

/**
 * Public keys only: what an edge needs to verify tokens and serve the JWKS. The current keys
 * (JWT_PUBLIC_JWKS, or in development the public half of the signing key) come first, then the
 * previous ones (JWT_PREVIOUS_PUBLIC_JWKS): a key rotation publishes the new key before workers sign
 * with it, and keeps the old one until the last token it signed has expired.
 */
export async function loadVerificationKeys(config: Config): Promise<VerificationKeys> {
  const current = config.JWT_PUBLIC_JWKS ? parseJwks('JWT_PUBLIC_JWKS', config.JWT_PUBLIC_JWKS) : [await publicJwkOf(createPrivateKey(privateKeyPem(config)))];
  const previous = config.JWT_PREVIOUS_PUBLIC_JWKS ? parseJwks('JWT_PREVIOUS_PUBLIC_JWKS', config.JWT_PREVIOUS_PUBLIC_JWKS) : [];
  const byKid = new Map<string, KeyObject>();
  const published: JWK[] = [];
  for (const jwk of [...current, ...previous]) {
    if (jwk.kty !== 'RSA' || !jwk.kid) throw new Error('every verification key must be an RSA JWK with a kid');
    if (byKid.has(jwk.kid)) continue; // a key listed as current and previous is published once
    // Only public members are published, whatever the configuration held.
    const pub: JWK = { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: jwk.kid, alg: SIGNING_ALG, use: 'sig' };
    byKid.set(jwk.kid, createPublicKey({ key: pub as never, format: 'jwk' }));
    published.push(pub);
  }
  return { jwks: { keys: published }, byKid };
}
