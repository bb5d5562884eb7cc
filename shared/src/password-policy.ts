import { BCRYPT_MAX_BYTES } from './protocol.ts';
import { AppError } from './errors.ts';

export const PASSWORD_MIN_CHARS = 8;

/**
 * NIST SP 800-63B style policy: a minimum length, no composition rules. bcrypt reads only the first
 * 72 bytes, so a longer password is refused outright instead of being silently truncated.
 */
export function checkNewPassword(password: string): void {
  if ([...password].length < PASSWORD_MIN_CHARS) {
    throw new AppError('weak_password', `password must be at least ${PASSWORD_MIN_CHARS} characters`);
  }
  if (Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES) {
    throw new AppError('invalid_request', 'password is too long', {
      details: [{ path: 'password', message: `must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8` }],
    });
  }
}
