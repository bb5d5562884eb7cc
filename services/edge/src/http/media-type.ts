import { AppError } from '@authgate/shared/errors';

/**
 * The JSON-only check of every POST, against lockout as a weapon. A page of another site can make a visitor's
 * browser POST text/plain, form or multipart bodies without a CORS preflight (the "simple requests"
 * of the Fetch standard); `application/json` always needs one, which the CORS allowlist refuses. So
 * a body of any other type is refused with 415 before it is read, counted or parsed: a cross-site form
 * cannot spend anyone's login attempts. The media type is compared without its parameters and
 * case-insensitively (RFC 9110 §8.3.1): `application/json; charset=utf-8` is JSON.
 */
export function requireJsonBody(contentType: string): void {
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new AppError('unsupported_media_type', 'request body must be sent as Content-Type: application/json');
  }
}
