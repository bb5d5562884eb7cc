import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { codeAt } from '../../../second-factor/worker/totp.ts';
import type { Mailbox } from '../../../../test/helpers/mailbox.ts';
import { mailLink } from '../../../../test/helpers/mail-links.ts';
import { call, post } from '../../../../test/helpers/http.ts';
import type { RelyingPartyServer } from './rp.ts';

/** A deployment the OpenID scenarios run against: the one public origin (the issuer), a browser, the relying parties. */
export interface OidcDeployment {
  label: 'aio' | 'cluster';
  /** The public origin: nginx in the cluster, the process itself in the all-in-one. Also PUBLIC_URL, the issuer. */
  url: string;
  browser: Browser;
  rp: RelyingPartyServer;
  mailbox: Mailbox;
  /** ADMIN_EMAILS of the deployment (one address). */
  adminEmail: string;
  /** The account API processes' own addresses (cluster: two, sharing the provider's state); empty in the all-in-one. */
  apis: string[];
}

export const PASSWORD = 'correct horse battery staple';
const STEP_MS = 30_000;

/** The clients of OIDC_CLIENTS in every test deployment; their secrets (in clear here, digests inside). */
export const SECRETS = {
  web: 'web-secret-0123456789abcdefghijklmnop',
  partner: 'partner-secret-0123456789abcdefghijkl',
  service: 'service-secret-0123456789abcdefghijkl',
  resource: 'resource-secret-0123456789abcdefghijk',
} as const;

export function oidcClients(rpUrl: string): Array<Record<string, unknown>> {
  return [
    {
      client_id: 'web',
      client_secret: SECRETS.web,
      client_name: 'Web app',
      redirect_uris: [`${rpUrl}/cb`],
      post_logout_redirect_uris: [`${rpUrl}/logged-out`],
      backchannel_logout_uri: `${rpUrl}/backchannel/web`,
      grant_types: ['authorization_code', 'refresh_token'],
      first_party: true,
    },
    {
      client_id: 'partner',
      client_secret: SECRETS.partner,
      client_name: 'Partner app',
      redirect_uris: [`${rpUrl}/cb`],
      backchannel_logout_uri: `${rpUrl}/backchannel/partner`,
      grant_types: ['authorization_code', 'refresh_token'],
    },
    { client_id: 'spa', token_endpoint_auth_method: 'none', client_name: 'Single-page app', redirect_uris: [`${rpUrl}/cb`], first_party: true },
    { client_id: 'service', client_secret: SECRETS.service, grant_types: ['client_credentials'], response_types: [] },
    // A resource server: no grant of its own, it introspects the tokens it is shown.
    { client_id: 'resource', client_secret: SECRETS.resource, grant_types: [], response_types: [] },
  ];
}

/** Settings both shapes run with (the gateway's limits opened up for one test address). */
export function oidcEnv(rpUrl: string, adminEmail: string): Record<string, string> {
  return {
    BCRYPT_COST: '4',
    RATE_LIMIT_IP_PER_MINUTE: '100000',
    LOGIN_FREE_FAILURES: '1000',
    LOGIN_ACCOUNT_MAX_FAILURES: '100000',
    WS_MAX_MESSAGES_PER_10S: '1000',
    OIDC_CLIENTS: JSON.stringify(oidcClients(rpUrl)),
    // The relying parties' back-channel endpoints are on loopback: allowed past the provider's SSRF guard.
    OIDC_PRIVATE_BACKCHANNEL_ORIGINS: rpUrl,
    ADMIN_EMAILS: adminEmail,
  };
}

/** openid-client's view of one client, discovered from the issuer like any relying party does. */
export async function relyingParty(url: string, clientId: keyof typeof SECRETS | 'spa', secret?: string): Promise<oidc.Configuration> {
  const auth = clientId === 'spa' ? oidc.None() : oidc.ClientSecretBasic(secret ?? SECRETS[clientId as keyof typeof SECRETS]);
  return oidc.discovery(new URL(url), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

export interface Account {
  email: string;
  userId: string;
  /** The device the account signed in from first (and the browser pretends to be, unless told otherwise). */
  deviceId: string;
  /** A session of the account from that device, over REST: it approves, revokes, and is the "other session". */
  other: { accessToken: string; refreshToken: string; sessionId: string };
}

/** A new account, signed in once over REST from `deviceId` (a known device from then on). */
export async function newAccount(url: string, label: string): Promise<Account> {
  const email = `oidc-${label}-${randomBytes(6).toString('hex')}@example.com`;
  const registered = await post(url, '/auth/register', { email, password: PASSWORD });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const deviceId = `device-${randomBytes(8).toString('hex')}`;
  const login = await post(url, '/auth/login', { email, password: PASSWORD, deviceId });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { email, userId: registered.body.userId, deviceId, other: login.body };
}

/** The account's address proved by the link of its verification mail (the page's own step, over REST). */
export async function verifyEmail(d: OidcDeployment, email: string): Promise<void> {
  const mail = await d.mailbox.take(email, (m) => /confirm|verify/i.test(m.subject ?? ''));
  const link = mailLink(mail, d.url, '/verify-email');
  const token = new URL(link).hash.replace(/^#token=/, '');
  const verified = await post(d.url, '/auth/email/verify', { token });
  assert.equal(verified.status, 204, JSON.stringify(verified.body));
}

/** TOTP on for the account (confirmed with the previous step's code); returns the secret. */
export async function enrolTotp(url: string, accessToken: string): Promise<string> {
  const headers = { authorization: `Bearer ${accessToken}` };
  const setup = await call(url, 'POST', '/auth/mfa/totp/setup', { headers, body: { password: PASSWORD } });
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
  const confirm = await call(url, 'POST', '/auth/mfa/totp/confirm', { headers, body: { code: codeAt(setup.body.secret, Date.now() - STEP_MS) } });
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  return setup.body.secret;
}

export { codeAt };

/** A browser "device": its own storage; `deviceId` set before the page's first script (a known device). */
export async function browserDevice(browser: Browser, deviceId?: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext();
  if (deviceId) {
    await context.addInitScript((id) => {
      const storage = (globalThis as unknown as { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } }).localStorage;
      if (!storage.getItem('authgate.deviceId')) storage.setItem('authgate.deviceId', id);
    }, deviceId);
  }
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems };
}

/** The session the page keeps in this browser for the gateway's origin. */
export async function pageSession(
  context: BrowserContext,
  origin: string,
): Promise<{ sessionId: string; accessToken: string; refreshToken: string } | undefined> {
  const state = await context.storageState();
  const stored = state.origins.find((o) => o.origin === origin)?.localStorage.find((item) => item.name === 'authgate.session');
  return stored ? JSON.parse(stored.value) : undefined;
}

export interface Authorization {
  codeVerifier: string;
  state: string;
  nonce: string;
}

/** Sends the browser to the authorization endpoint of `config` with PKCE (S256), state and nonce. */
export async function beginAuthorization(
  page: Page,
  rp: RelyingPartyServer,
  config: oidc.Configuration,
  parameters: Record<string, string> = {},
): Promise<Authorization> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${rp.url}/cb`,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...parameters,
  });
  await page.goto(url.href);
  return { codeVerifier, state, nonce };
}

/** The browser back at the relying party's redirect URI. */
export async function backAtRelyingParty(page: Page, rp: RelyingPartyServer): Promise<URL> {
  await page.waitForURL((url) => url.href.startsWith(`${rp.url}/cb`), { timeout: 30_000 });
  return new URL(page.url());
}

/** The code exchange: openid-client checks state, nonce, PKCE, the ID token's signature, iss, aud, exp. */
export async function exchange(config: oidc.Configuration, callback: URL, begun: Authorization) {
  return oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: begun.codeVerifier,
    expectedState: begun.state,
    expectedNonce: begun.nonce,
    idTokenExpected: true,
  });
}

/** Fills the page's sign-in form (shown for the OpenID sign-in) and sends it. */
export async function signInOnPage(page: Page, email: string, password = PASSWORD): Promise<void> {
  const form = page.locator('#sign-in');
  await form.waitFor({ timeout: 30_000 });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button').click();
}

/** invalid_client arrives as a JSON body, or (Basic auth) as a 401 with WWW-Authenticate. */
export function isInvalidClient(err: unknown): boolean {
  const e = err as { error?: string; cause?: unknown };
  if (e.error === 'invalid_client') return true;
  return Array.isArray(e.cause) && e.cause.some((c: { parameters?: { error?: string } }) => c.parameters?.error === 'invalid_client');
}

export const isInvalidGrant = (err: unknown) => (err as { error?: string }).error === 'invalid_grant';
