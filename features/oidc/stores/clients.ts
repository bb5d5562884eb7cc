import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 7591 client metadata as stored: `client_secret` only ever as its digest (hashSecret). */
export type ClientMetadata = Record<string, unknown> & { client_id: string; client_secret?: string };

/**
 * Clients that administrators add (POST /admin/oidc/clients), in PostgreSQL (PGlite in the all-in-one).
 * oidc-provider asks for the model "Client" whenever a client_id is not one of OIDC_CLIENTS, so
 * provider.ts hands that model to this store; the provider validates what it gets and caches the built
 * Client by a hash of the metadata, so a delete takes effect on the next request.
 */
export interface ClientStore {
  find(clientId: string): Promise<ClientMetadata | undefined>;
  /** Oldest first. */
  list(): Promise<ClientMetadata[]>;
  /** False when the client_id is taken. */
  insert(metadata: ClientMetadata): Promise<boolean>;
  delete(clientId: string): Promise<boolean>;
}

/**
 * A client secret is 256 random bits, shown once, stored as a SHA-256 digest (as authgate's refresh
 * tokens are). The provider compares secrets through Client#compareClientSecret, which provider.ts
 * points at secretMatches. So nothing that needs the secret itself is offered: client_secret_jwt,
 * HS* signatures, symmetric encryption.
 */
const DIGEST_PREFIX = 'sha256$';

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** 128 random bits: a client_id names a client, it proves nothing. */
export function generateClientId(): string {
  return randomBytes(16).toString('base64url');
}

export function hashSecret(secret: string): string {
  return DIGEST_PREFIX + createHash('sha256').update(secret).digest('base64url');
}

export function isHashedSecret(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(DIGEST_PREFIX);
}

/** The presented secret's digest against the stored one, in constant time. */
export function secretMatches(stored: string | undefined, presented: string): boolean {
  if (!stored || !isHashedSecret(stored)) return false;
  const expected = Buffer.from(stored);
  const actual = Buffer.from(hashSecret(presented));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The metadata as an administrator may see it: never the secret's digest. */
export function withoutSecret(metadata: ClientMetadata): Omit<ClientMetadata, 'client_secret'> {
  const { client_secret: _digest, ...rest } = metadata;
  return rest;
}
