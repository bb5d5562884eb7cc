import type { AuthgateClient } from '@authgate/client';
import { PAGE_PATHS } from '@authgate/shared/page-paths';
import { takeLinkToken } from './link-token.ts';
import { resetPasswordScreen } from './reset-password.ts';
import { verifyEmailScreen } from './verify-email.ts';

export { forgotPasswordDisclosure } from './forgot-password.ts';

/**
 * The pages that mails link to (PAGE_PATHS, served by the edge as the page itself). A flow's screen
 * (verify an address, reset a password) stays on screen until the person follows its link on, even
 * when a session begins or ends meanwhile (a reset ends every session, this browser's too).
 */
export function linkedFlowScreen(client: AuthgateClient, pathname: string): { el: HTMLElement; title: string } | undefined {
  switch (pathname) {
    case PAGE_PATHS.verifyEmail:
      return { el: verifyEmailScreen(client, takeLinkToken()), title: 'Confirm your email address' };
    case PAGE_PATHS.resetPassword:
      return { el: resetPasswordScreen(client, takeLinkToken()), title: 'Choose a new password' };
    default:
      return undefined;
  }
}

/** `/account/security` (the security notices' link): the account screen, its sessions in view; signed out, the sign-in form first. */
export function isSecurityPage(pathname: string): boolean {
  return pathname === PAGE_PATHS.security;
}

export const SECURITY_SIGN_IN_NOTICE = 'Sign in to review the sessions and the second factor of your account.';

/** Brings the sessions and second-factor sections of the account screen into view. */
export function showSecurity(account: HTMLElement): void {
  account.querySelector('#sessions')?.scrollIntoView({ block: 'start' });
}
