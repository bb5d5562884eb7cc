import { decodeJwt } from 'jose';

/**
 * The `exp` (seconds) of an access token a worker just issued, read without verifying it: it comes
 * with the result, over the same trusted path as its session id. Undefined when it cannot be read.
 */
export function issuedExp(accessToken: unknown): number | undefined {
  if (typeof accessToken !== 'string') return undefined;
  try {
    const { exp } = decodeJwt(accessToken);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
