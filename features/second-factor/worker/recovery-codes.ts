import { createHash, randomBytes } from 'node:crypto';

/**
 * Recovery codes: 10, each 16 characters of a 32-letter alphabet (80 random bits), shown once as
 * `xxxx-xxxx-xxxx-xxxx`. They are stored as SHA-256 digests: a slow password hash (bcrypt) protects
 * low-entropy secrets from offline guessing, but 80 random bits cannot be guessed offline either way,
 * and a fast digest keeps the check a single indexed lookup.
 */
export const RECOVERY_CODE_COUNT = 10;
const CODE_LENGTH = 16;
/** No 0/o, 1/l: read off paper without doubt. 32 letters: a byte masked to 5 bits picks one uniformly. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const NORMALISED = /^[abcdefghijkmnpqrstuvwxyz23456789]{16}$/;

export function newRecoveryCodes(): { codes: string[]; digests: string[] } {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const letters = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET[byte & 31]).join('');
    return letters.match(/.{4}/g)!.join('-');
  });
  return { codes, digests: codes.map((code) => recoveryCodeDigest(code)!) };
}

/** The digest a code is stored under; case, dashes and spaces do not matter. Undefined for what cannot be a code. */
export function recoveryCodeDigest(input: string): string | undefined {
  const normalised = input.toLowerCase().replace(/[\s-]/g, '');
  if (!NORMALISED.test(normalised)) return undefined;
  return createHash('sha256').update(normalised).digest('hex');
}
