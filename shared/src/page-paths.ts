/**
 * The paths of the page (web/) that mails link to. The edge serves the page at each of them, the
 * mailer builds its links from them and the page picks its screen by them: one list, so that no mail
 * can hold a link the gateway does not serve.
 */
export const PAGE_PATHS = {
  /** `#token=`: the page posts it to POST /auth/email/verify. */
  verifyEmail: '/verify-email',
  /** `#token=`: the page asks for a new password and posts both to POST /auth/password/reset. */
  resetPassword: '/reset-password',
  /** The signed-in account's sessions and second factor (the security notices link here). */
  security: '/account/security',
} as const;

export type PagePath = (typeof PAGE_PATHS)[keyof typeof PAGE_PATHS];
