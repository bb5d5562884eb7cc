import { AuthgateError } from '@authgate/client';

/** Every error code of the contract, in words a person reads on the page. */
const WORDS: Record<string, string> = {
  invalid_request: 'Some of what you entered is not valid.',
  weak_password: 'That password is too weak: use at least 8 characters, and not a common password or your email.',
  invalid_credentials: 'The email or password is incorrect.',
  invalid_token: 'Your session has ended. Please sign in again.',
  invalid_code: 'That code is not right, or it was used already. Check your authenticator and try again.',
  forbidden: 'You are not allowed to do that.',
  account_disabled: 'This account has been disabled by an administrator.',
  email_not_verified: 'Please verify your email address first: use the link in the email we sent you.',
  mfa_required: 'This account needs its second factor.',
  mfa_already_enabled: 'Two-factor authentication is already on for this account.',
  device_verification_required: 'This device must be approved first.',
  device_verification_pending: 'This sign-in has not been approved yet.',
  device_denied: 'This sign-in was denied from one of your devices.',
  not_found: 'That no longer exists.',
  email_taken: 'An account already uses this email. Sign in instead?',
  payload_too_large: 'What you entered is too long.',
  unsupported_media_type: 'The request was not understood.',
  rate_limited: 'Too many attempts.',
  internal: 'Something went wrong on our side. Please try again.',
  overloaded: 'The service is busy right now. Please try again in a moment.',
  timeout: 'The service took too long to answer. Please try again.',
  network: 'Cannot reach the service. Check your connection and try again.',
  signed_out: 'You are signed out. Please sign in again.',
};

export function describe(err: unknown): string {
  if (!(err instanceof AuthgateError)) return 'Something went wrong. Please try again.';
  let words = WORDS[err.code] ?? err.message;
  if (err.code === 'rate_limited' && err.retryAfter) words += ` Try again in ${err.retryAfter} seconds.`;
  if (err.code === 'invalid_request' && err.details?.length) {
    words += ` ${err.details.map((d) => `${d.path === '(root)' ? 'The form' : d.path}: ${d.message}.`).join(' ')}`;
  }
  return words;
}

/** Why a session ended, as the server's `session.revoked` reason says. */
export function signedOutWords(reason: string): string {
  switch (reason) {
    case 'revoked':
      return 'You were signed out: this session was ended from another of your devices.';
    case 'revoked_by_admin':
      return 'You were signed out by an administrator.';
    case 'refresh_reuse':
      return 'You were signed out because a copy of this session was used elsewhere. If it was not you, change your password.';
    case 'account_disabled':
      return 'You were signed out: this account has been disabled.';
    case 'password_reset':
      return 'You were signed out: the password of this account was reset. Sign in with the new one.';
    case 'password_changed':
      return 'You were signed out: the password of this account was changed on another device.';
    case 'expired':
      return 'Your session expired. Please sign in again.';
    case 'logout':
      return 'You signed out.';
    default:
      return `You were signed out (${reason}).`;
  }
}
