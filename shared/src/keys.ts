import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync, linkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Config } from './config.ts';
import { ensurePrivateDir } from './private-dir.ts';

/** JWT_ALG: RS256 (RSA, the contract's default) or ES256 (ECDSA on P-256, opt-in; ~6× faster to sign). */
export type SigningAlg = 'RS256' | 'ES256';

/** What a key of each algorithm must be: node's key type and, for EC, its JWK curve. */
const KEY_OF: Record<SigningAlg, { type: 'rsa' | 'ec'; kty: 'RSA' | 'EC'; crv?: string }> = {
  RS256: { type: 'rsa', kty: 'RSA' },
  ES256: { type: 'ec', kty: 'EC', crv: 'P-256' },
};

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  alg: SigningAlg;
}

export interface VerificationKeys {
  /** The public JWKS, served at /.well-known/jwks.json. */
  jwks: { keys: JWK[] };
  byKid: Map<string, KeyObject>;
  /** The one algorithm tokens may be signed with (JWT_ALG): any other is refused. */
  alg: SigningAlg;
}

/**
 * Development only: one key per algorithm kept in DATA_DIR so tokens survive restarts. Created with an
 * exclusive link so that processes starting together agree on a single key.
 */
function devPrivateKeyPem(dataDir: string, alg: SigningAlg): string {
  return keptPrivateKeyPem(dataDir, alg === 'RS256' ? 'jwt-signing-key.pem' : `jwt-signing-key-${alg.toLowerCase()}.pem`, alg);
}

/** A development private key kept as DATA_DIR/keys/<name> (PKCS#8 PEM, 0600), made once by whichever process comes first. */
export function keptPrivateKeyPem(dataDir: string, name: string, alg: SigningAlg): string {
  const dir = path.resolve(dataDir, 'keys');
  const file = path.join(dir, name);
  ensurePrivateDir(path.resolve(dataDir));
  ensurePrivateDir(dir);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    const { privateKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
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
  return config.JWT_PRIVATE_KEY ?? devPrivateKeyPem(config.DATA_DIR, config.JWT_ALG);
}

async function publicJwkOf(key: KeyObject, alg: SigningAlg): Promise<JWK & { kid: string }> {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { ...jwk, kid, alg, use: 'sig' };
}

/** The worker's key, parsed once into a KeyObject (signing with a PEM string re-parses it each time). */
export async function loadSigningKey(config: Config): Promise<SigningKey> {
  const alg = config.JWT_ALG;
  const privateKey = createPrivateKey(privateKeyPem(config));
  const wanted = KEY_OF[alg];
  if (privateKey.asymmetricKeyType !== wanted.type || (wanted.crv && privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'))
    throw new Error(`JWT_PRIVATE_KEY must be ${alg === 'RS256' ? 'an RSA key' : 'an EC P-256 key'} (JWT_ALG=${alg})`);
  const { kid } = await publicJwkOf(privateKey, alg);
  return { kid, privateKey, alg };
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
  const alg = config.JWT_ALG;
  const wanted = KEY_OF[alg];
  const current = config.JWT_PUBLIC_JWKS
    ? parseJwks('JWT_PUBLIC_JWKS', config.JWT_PUBLIC_JWKS)
    : [await publicJwkOf(createPrivateKey(privateKeyPem(config)), alg)];
  const previous = config.JWT_PREVIOUS_PUBLIC_JWKS ? parseJwks('JWT_PREVIOUS_PUBLIC_JWKS', config.JWT_PREVIOUS_PUBLIC_JWKS) : [];
  const byKid = new Map<string, KeyObject>();
  const published: JWK[] = [];
  for (const jwk of [...current, ...previous]) {
    if (jwk.kty !== wanted.kty || jwk.crv !== wanted.crv || !jwk.kid)
      throw new Error(`every verification key must be ${alg === 'RS256' ? 'an RSA JWK' : 'an EC P-256 JWK'} with a kid (JWT_ALG=${alg})`);
    if (byKid.has(jwk.kid)) continue; // a key listed as current and previous is published once
    // Only public members are published, whatever the configuration held.
    const members = alg === 'RS256' ? { n: jwk.n, e: jwk.e } : { crv: jwk.crv, x: jwk.x, y: jwk.y };
    const pub: JWK = { kty: jwk.kty, ...members, kid: jwk.kid, alg, use: 'sig' };
    byKid.set(jwk.kid, createPublicKey({ key: pub as never, format: 'jwk' }));
    published.push(pub);
  }
  return { jwks: { keys: published }, byKid, alg };
}
