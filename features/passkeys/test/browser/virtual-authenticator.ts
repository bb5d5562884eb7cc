import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { device } from '../../../../test/browser/support.ts';

/**
 * A browser context with Chromium's virtual authenticator (DevTools protocol, WebAuthn domain): a
 * platform authenticator with resident keys and user verification, which verifies the user (the
 * protocol's default is an authenticator whose verification fails). It belongs to one page and lives
 * while the CDP session that made it is attached: keep `cdp` for the test's length.
 */
export interface AuthenticatorDevice {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  problems: string[];
}

export async function withAuthenticator(browser: Browser, deviceId?: string): Promise<AuthenticatorDevice> {
  const { context, page, problems } = await device(browser, deviceId);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { context, page, cdp, authenticatorId, problems };
}

/**
 * The passkeys of one context's authenticator, copied into another's: the same passkey on a second
 * device (as a synced passkey would be). Each virtual authenticator belongs to its page alone.
 */
export async function copyPasskeys(from: AuthenticatorDevice, to: AuthenticatorDevice): Promise<number> {
  const { credentials } = await from.cdp.send('WebAuthn.getCredentials', { authenticatorId: from.authenticatorId });
  for (const credential of credentials) await to.cdp.send('WebAuthn.addCredential', { authenticatorId: to.authenticatorId, credential });
  return credentials.length;
}
