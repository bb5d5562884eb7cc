import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The refresh token that replaced another, kept for the grace window so that a concurrent refresh of
 * the same token (by the session's device, where it has one) gets the same successor instead of
 * revoking the session (its access token is signed afresh: the store needs no user data read
 * beforehand). It is stored sealed under a key
 * only the holder of the replaced token can derive (HKDF-SHA256 over the token, AES-256-GCM with the
 * session id as associated data): the store, or anyone reading it, learns nothing it could use.
 */
const INFO = Buffer.from('authgate/refresh-successor/v1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

function keyFor(presentedToken: string, sid: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(presentedToken, 'utf8'), Buffer.from(sid, 'utf8'), INFO, 32));
}

export function sealSuccessor(presentedToken: string, sid: string, successorToken: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFor(presentedToken, sid), iv);
  cipher.setAAD(Buffer.from(sid, 'utf8'));
  const sealed = Buffer.concat([cipher.update(successorToken, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** The successor token, or undefined when this token is not the one it was sealed for (or it was altered). */
export function openSuccessor(presentedToken: string, sid: string, sealed: string): string | undefined {
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', keyFor(presentedToken, sid), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(sid, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return plain.toString('utf8');
  } catch {
    return undefined;
  }
}
