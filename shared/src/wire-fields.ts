import { z } from 'zod';

/**
 * The fields several features' request bodies share (features/<name>/contract.ts), so that an email
 * or a token is checked alike wherever it comes in.
 */

export const BCRYPT_MAX_BYTES = 72;

/** RFC 5321 §4.5.3.1: at most 254 characters in all, and at most 64 before the `@`. */
const MAX_LOCAL_PART = 64;
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(
    z
      .email({ message: 'must be an email address' })
      .refine((email) => email.lastIndexOf('@') <= MAX_LOCAL_PART, `must have at most ${MAX_LOCAL_PART} characters before the @`),
  );
/** Login accepts any password length up to a sane bound; policy (min length, 72 bytes) is enforced at registration. */
export const passwordSchema = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
/**
 * Any string: a token's form is checked where the token is (the verifier, the worker), so that a
 * malformed one is `invalid_token` like any other bad token, never `invalid_request` (docs/errors.md).
 * Its length is bounded by the body and frame limits.
 */
export const tokenSchema = z.string();
/** Chosen by the client, stable per browser or app install (docs/rest.md, login). */
export const deviceIdSchema = z.string().min(1).max(128);
