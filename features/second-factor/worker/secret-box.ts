import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Config } from '@authgate/shared/config';
import { keptSecret } from '@authgate/shared/security/kept-secret';

/**
 * TOTP secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from
 * MFA_ENCRYPTION_KEY, a 96-bit random IV per seal, and the user id as associated data, so that a
 * sealed secret copied onto another user's row does not open. A database dump alone yields no secret.
 * Only workers hold the key: the account API tells `mfaEnabled` from the row, never opens it.
 */
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const HKDF_SALT = Buffer.from('authgate/totp-secret/v1');

export class TotpSecretBox {
  private readonly key: Buffer;

  constructor(encryptionKey: string) {
    if (Buffer.byteLength(encryptionKey) < KEY_BYTES) throw new Error(`the MFA encryption key must be at least ${KEY_BYTES} bytes`);
    this.key = Buffer.from(hkdfSync('sha256', encryptionKey, HKDF_SALT, 'totp-secret', KEY_BYTES));
  }

  seal(secret: string, userId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(userId));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Throws (without saying why) if the sealed value was altered, moved to another user, or sealed under another key. */
  open(sealed: string, userId: string): string {
    const [version, encoded] = sealed.split('.');
    if (version !== VERSION || !encoded) throw new Error('a sealed TOTP secret could not be opened');
    const bytes = Buffer.from(encoded, 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('a sealed TOTP secret could not be opened');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(userId));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('a sealed TOTP secret could not be opened');
    }
  }
}

/** MFA_ENCRYPTION_KEY, or in development one generated into DATA_DIR/keys and kept (production requires it: config.ts). */
export function loadMfaEncryptionKey(config: Pick<Config, 'MFA_ENCRYPTION_KEY' | 'DATA_DIR'>): string {
  return config.MFA_ENCRYPTION_KEY ?? keptSecret(config.DATA_DIR, 'mfa-encryption-key');
}
