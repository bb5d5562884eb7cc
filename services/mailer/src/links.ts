import { PAGE_PATHS } from '@authgate/shared/page-paths';

/**
 * Links in mails, built from PUBLIC_URL only, never from a request's Host header (a forged Host
 * would send a user's reset token to another site), to the page's paths that the edge serves. The
 * token rides in the fragment: browsers do not send it to servers, so it stays out of access logs and
 * Referer headers; the page posts it to POST /auth/email/verify or /auth/password/reset.
 */
export function verifyEmailLink(publicUrl: string, token: string): string {
  return `${publicUrl}${PAGE_PATHS.verifyEmail}#token=${encodeURIComponent(token)}`;
}

export function passwordResetLink(publicUrl: string, token: string): string {
  return `${publicUrl}${PAGE_PATHS.resetPassword}#token=${encodeURIComponent(token)}`;
}

/** Where a user reviews and revokes their sessions after a security notice. */
export function securityLink(publicUrl: string): string {
  return `${publicUrl}${PAGE_PATHS.security}`;
}
