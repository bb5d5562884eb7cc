import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { Redis } from 'ioredis';
import { mailLink } from '../../../test/helpers/mail-links.ts';
import { call, post } from '../../../test/helpers/http.ts';
import {
  type Account,
  backAtRelyingParty,
  beginAuthorization,
  browserDevice,
  codeAt,
  enrolTotp,
  exchange,
  isInvalidClient,
  isInvalidGrant,
  newAccount,
  type OidcDeployment,
  PASSWORD,
  pageSession,
  relyingParty,
  SECRETS,
  signInOnPage,
  verifyEmail,
} from './support/deployment.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BACKCHANNEL = 'http://schemas.openid.net/event/backchannel-logout';

type ClientId = 'web' | 'partner' | 'spa' | 'service' | 'resource';
const configurations = new Map<string, oidc.Configuration>();

/** openid-client's configuration of one client at a deployment, discovered once. */
async function rpFor(url: string, clientId: ClientId): Promise<oidc.Configuration> {
  const key = `${url} ${clientId}`;
  if (!configurations.has(key)) configurations.set(key, await relyingParty(url, clientId));
  return configurations.get(key)!;
}

/** A browser that signed in through the page for `web` (first party) and consented for `partner`, both with refresh tokens. */
async function signedInToBoth(d: OidcDeployment, account: Account) {
  const device = await browserDevice(d.browser, account.deviceId);
  const web = await rpFor(d.url, 'web');
  const begunWeb = await beginAuthorization(device.page, d.rp, web, { scope: 'openid email offline_access', prompt: 'consent' });
  await signInOnPage(device.page, account.email);
  const webTokens = await exchange(web, await backAtRelyingParty(device.page, d.rp), begunWeb);
  const partner = await rpFor(d.url, 'partner');
  const begunPartner = await beginAuthorization(device.page, d.rp, partner, { scope: 'openid offline_access', prompt: 'consent' });
  await device.page.locator('#oidc-consent').waitFor({ timeout: 30_000 });
  await device.page.locator('#oidc-allow').click();
  const partnerTokens = await exchange(partner, await backAtRelyingParty(device.page, d.rp), begunPartner);
  const session = await pageSession(device.context, d.url);
  assert.ok(session, 'the page keeps its session');
  assert.equal(webTokens.claims()!.sid, session.sessionId);
  assert.equal(partnerTokens.claims()!.sid, session.sessionId);
  assert.ok(webTokens.refresh_token && partnerTokens.refresh_token, 'refresh tokens for offline_access');
  return { ...device, session, webTokens, partnerTokens };
}

/** Each client's back-channel endpoint got one logout token for the session, within a second of `since`, and the tokens died. */
async function loggedOutEverywhere(d: OidcDeployment, signedIn: Awaited<ReturnType<typeof signedInToBoth>>, account: Account, since: number, how: string) {
  const deliveries = await d.rp.waitFor(['web', 'partner'], since, 10_000);
  const jwks = createRemoteJWKSet(new URL(`${d.url}/oidc/jwks`));
  for (const [clientId, delivery] of deliveries) {
    const elapsed = delivery.at - since;
    assert.ok(elapsed < 1_000, `${how}: the logout token reached ${clientId} ${elapsed} ms after the session ended`);
    const { payload, protectedHeader } = await jwtVerify(delivery.logoutToken, jwks, { issuer: d.url, audience: clientId, typ: 'logout+jwt' });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.sub, account.userId);
    assert.equal(payload.sid, signedIn.session.sessionId, 'the logout token names the authgate session');
    assert.deepEqual(payload.events, { [BACKCHANNEL]: {} });
    assert.ok(payload.jti && payload.iat && !('nonce' in payload));
  }
  await assert.rejects(
    oidc.refreshTokenGrant(await rpFor(d.url, 'web'), signedIn.webTokens.refresh_token!),
    isInvalidGrant,
    `${how}: web's refresh token stopped working`,
  );
  await assert.rejects(
    oidc.refreshTokenGrant(await rpFor(d.url, 'partner'), signedIn.partnerTokens.refresh_token!),
    isInvalidGrant,
    `${how}: partner's refresh token stopped working`,
  );
  assert.equal(
    (await oidc.tokenIntrospection(await rpFor(d.url, 'resource'), signedIn.webTokens.access_token)).active,
    false,
    `${how}: the access token is inactive`,
  );
  // Every API process heard of the end; one of them told each client, once.
  await sleep(1_500);
  for (const clientId of ['web', 'partner']) assert.equal(d.rp.to(clientId).filter((x) => x.at >= since).length, 1, `${how}: ${clientId} was told once`);
}

/**
 * The OpenID provider through a whole deployment, as the issue shows it: openid-client is the relying
 * party, Debian's chromium the person's browser, authgate's own page the sign-in. Run in the all-in-one
 * and in the cluster behind nginx (two edges, two API processes sharing the provider's state).
 */
export function oidcScenarios(get: () => OidcDeployment): void {
  const rp = (clientId: ClientId) => rpFor(get().url, clientId);

  test('discovery: issuer = PUBLIC_URL, every endpoint on that origin under /oidc, S256 only, back-channel logout; its own signing key', async () => {
    const d = get();
    const meta = (await rp('web')).serverMetadata();
    assert.equal(meta.issuer, d.url);
    for (const [name, path] of [
      ['authorization_endpoint', '/oidc/auth'],
      ['token_endpoint', '/oidc/token'],
      ['userinfo_endpoint', '/oidc/me'],
      ['jwks_uri', '/oidc/jwks'],
      ['end_session_endpoint', '/oidc/session/end'],
      ['introspection_endpoint', '/oidc/token/introspection'],
      ['revocation_endpoint', '/oidc/token/revocation'],
    ] as const)
      assert.equal(meta[name], `${d.url}${path}`, name);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.equal(meta.backchannel_logout_supported, true);
    assert.equal(meta.backchannel_logout_session_supported, true);
    assert.deepEqual(meta.id_token_signing_alg_values_supported, ['RS256']);
    const provider = (await call(d.url, 'GET', '/oidc/jwks')).body as { keys: Array<{ kid: string; d?: string }> };
    const gateway = (await call(d.url, 'GET', '/.well-known/jwks.json')).body as { keys: Array<{ kid: string }> };
    assert.ok(provider.keys.length >= 1 && provider.keys.every((key) => key.d === undefined), 'public members only');
    assert.ok(!provider.keys.some((key) => gateway.keys.some((g) => g.kid === key.kid)), "the provider's key is not the workers' access-token key");
  });

  test('code + PKCE + state + nonce: sign in with a password on the page, no consent for a first-party client; the ID token and userinfo', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-code`);
    const { context, page, problems } = await browserDevice(d.browser, account.deviceId);
    try {
      const web = await rp('web');
      const begun = await beginAuthorization(page, d.rp, web);
      await page.waitForURL((url) => url.pathname === '/sign-in/oidc');
      assert.match((await page.locator('#signed-out-notice').textContent()) ?? '', /Sign in to continue to Web app/);
      await signInOnPage(page, account.email);
      const callback = await backAtRelyingParty(page, d.rp);
      assert.equal(callback.searchParams.get('iss'), d.url);
      const tokens = await exchange(web, callback, begun);
      const claims = tokens.claims()!;
      const session = (await pageSession(context, d.url))!;
      assert.equal(claims.iss, d.url);
      assert.equal(claims.sub, account.userId);
      assert.equal(claims.aud, 'web');
      assert.equal(claims.sid, session.sessionId, "the ID token's sid is the authgate session");
      assert.deepEqual(claims.amr, ['pwd'], 'signed in with a password');
      assert.equal(claims.auth_time, decodeJwt(session.accessToken).auth_time, "auth_time: when the gateway's sign-in was");
      assert.ok(typeof claims.auth_time === 'number' && Math.abs(claims.auth_time - Date.now() / 1000) < 120, `auth_time ${claims.auth_time}`);
      assert.equal(claims.nonce, begun.nonce);
      assert.equal(claims.email, account.email);
      assert.equal(claims.email_verified, false);
      assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256');
      assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access');
      const info = await oidc.fetchUserInfo(web, tokens.access_token, account.userId);
      assert.equal(info.email, account.email);
      // The sign-in is in the account's own trail.
      const trail = async () =>
        (await call(d.url, 'GET', '/auth/events?limit=50', { headers: bearer(account.other.accessToken) })).body.events as Array<{
          type: string;
          data: { clientId?: string };
        }>;
      for (let i = 0; i < 50 && !(await trail()).some((e) => e.type === 'oidc.signed_in'); i++) await sleep(200);
      assert.ok(
        (await trail()).some((e) => e.type === 'oidc.signed_in' && e.data.clientId === 'web'),
        'oidc.signed_in in the audit trail',
      );
      assert.deepEqual(problems, [], 'no script error and no CSP violation');
    } finally {
      await context.close();
    }
  });

  test('a browser already signed in to authgate continues at once; a second client signs in on the same session (SSO)', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-sso`);
    const { context, page, problems } = await browserDevice(d.browser, account.deviceId);
    try {
      await page.goto(d.url);
      await signInOnPage(page, account.email);
      await page.locator('#who').filter({ hasText: account.email }).waitFor();
      const session = (await pageSession(context, d.url))!;
      const spa = await rp('spa');
      const begun = await beginAuthorization(page, d.rp, spa);
      const tokens = await exchange(spa, await backAtRelyingParty(page, d.rp), begun);
      assert.equal(tokens.claims()!.sid, session.sessionId, 'the sign-in the page already had');
      // The provider's session now: another client continues without the page.
      const web = await rp('web');
      const again = await beginAuthorization(page, d.rp, web);
      const callback = await backAtRelyingParty(page, d.rp);
      assert.equal((await exchange(web, callback, again)).claims()!.sid, session.sessionId);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('prompt=login: a browser already signed in must sign in again, and the new sign-in is what the client gets', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-fresh`);
    const { context, page } = await browserDevice(d.browser, account.deviceId);
    try {
      const web = await rp('web');
      const first = await beginAuthorization(page, d.rp, web);
      await signInOnPage(page, account.email);
      await exchange(web, await backAtRelyingParty(page, d.rp), first);
      const before = (await pageSession(context, d.url))!;
      const begun = await beginAuthorization(page, d.rp, web, { prompt: 'login' });
      await page.waitForURL((url) => url.pathname === '/sign-in/oidc');
      assert.match((await page.locator('#signed-out-notice').textContent({ timeout: 30_000 })) ?? '', /asks you to sign in again/);
      await signInOnPage(page, account.email);
      const tokens = await exchange(web, await backAtRelyingParty(page, d.rp), begun);
      const after = (await pageSession(context, d.url))!;
      assert.notEqual(after.sessionId, before.sessionId, 'a new sign-in, a new authgate session');
      assert.equal(tokens.claims()!.sid, after.sessionId);
      assert.ok((tokens.claims()!.auth_time as number) >= Math.floor(Date.now() / 1000) - 60);
    } finally {
      await context.close();
    }
  });

  test('second factor: the page asks for the TOTP code, and the sign-in continues to the client', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-totp`);
    const secret = await enrolTotp(d.url, account.other.accessToken);
    const { context, page, problems } = await browserDevice(d.browser, account.deviceId);
    try {
      const web = await rp('web');
      const begun = await beginAuthorization(page, d.rp, web);
      await signInOnPage(page, account.email);
      const step = page.locator('#mfa-code');
      await step.waitFor({ timeout: 30_000 });
      await step.getByLabel(/Code from your authenticator app/).fill(codeAt(secret, Date.now()));
      await step.getByRole('button').click();
      const tokens = await exchange(web, await backAtRelyingParty(page, d.rp), begun);
      const session = (await pageSession(context, d.url))!;
      assert.equal(tokens.claims()!.sid, session.sessionId);
      assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp'], 'a password and a one-time code');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('new device: the sign-in waits for an approval from the signed-in device, then continues to the client', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-device`);
    // A browser with a device id of its own: one the account never signed in from.
    const { context, page, problems } = await browserDevice(d.browser);
    try {
      const web = await rp('web');
      const begun = await beginAuthorization(page, d.rp, web);
      await signInOnPage(page, account.email);
      const waiting = page.locator('#device-wait');
      await waiting.waitFor({ timeout: 30_000 });
      const verificationId = await waiting.getAttribute('data-verification');
      const approved = await post(d.url, '/auth/devices/approve', { verificationId }, bearer(account.other.accessToken));
      assert.equal(approved.status, 204, JSON.stringify(approved.body));
      const tokens = await exchange(web, await backAtRelyingParty(page, d.rp), begun);
      assert.equal(tokens.claims()!.sub, account.userId);
      assert.equal(tokens.claims()!.sid, (await pageSession(context, d.url))!.sessionId);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('third-party client: the consent screen; Deny sends access_denied, Allow a code, and the consent is remembered', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-consent`);
    const { context, page, problems } = await browserDevice(d.browser, account.deviceId);
    try {
      const partner = await rp('partner');
      await beginAuthorization(page, d.rp, partner);
      await signInOnPage(page, account.email);
      const consent = page.locator('#oidc-consent');
      await consent.waitFor({ timeout: 30_000 });
      assert.match((await consent.textContent()) ?? '', /Partner app asks to/);
      assert.deepEqual(await consent.locator('li').evaluateAll((items) => items.map((li) => (li as unknown as { dataset: { scope: string } }).dataset.scope)), [
        'openid',
        'email',
      ]);
      await page.locator('#oidc-deny').click();
      const denied = await backAtRelyingParty(page, d.rp);
      assert.equal(denied.searchParams.get('error'), 'access_denied');
      assert.equal(denied.searchParams.get('code'), null);

      const begun = await beginAuthorization(page, d.rp, partner);
      await consent.waitFor({ timeout: 30_000 });
      await page.locator('#oidc-allow').click();
      const tokens = await exchange(partner, await backAtRelyingParty(page, d.rp), begun);
      assert.equal(tokens.claims()!.sub, account.userId);
      const again = await beginAuthorization(page, d.rp, partner);
      assert.equal((await exchange(partner, await backAtRelyingParty(page, d.rp), again)).claims()!.sub, account.userId, 'no consent screen the second time');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('refresh tokens rotate; a replayed one is refused and ends the grant; two refreshes at once have one winner', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-refresh`);
    const { context, page } = await browserDevice(d.browser, account.deviceId);
    try {
      const web = await rp('web');
      const begun = await beginAuthorization(page, d.rp, web, { scope: 'openid offline_access', prompt: 'consent' });
      await signInOnPage(page, account.email);
      const tokens = await exchange(web, await backAtRelyingParty(page, d.rp), begun);
      const first = tokens.refresh_token!;
      const second = await oidc.refreshTokenGrant(web, first);
      assert.ok(second.refresh_token && second.refresh_token !== first, 'rotated');
      assert.equal(second.claims()?.sub, account.userId);
      const race = await Promise.allSettled([oidc.refreshTokenGrant(web, second.refresh_token), oidc.refreshTokenGrant(web, second.refresh_token)]);
      assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(race.map((r) => r.status)));
      const winner = (race.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<oidc.TokenEndpointResponse>).value.refresh_token!;
      await assert.rejects(oidc.refreshTokenGrant(web, first), isInvalidGrant, 'a rotated token is refused');
      await assert.rejects(oidc.refreshTokenGrant(web, winner), isInvalidGrant, 'the replay revoked the whole grant');
    } finally {
      await context.close();
    }
  });

  test('introspection by a resource server, revocation by the client (RFC 7662, RFC 7009)', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-introspect`);
    const { context, page } = await browserDevice(d.browser, account.deviceId);
    try {
      const web = await rp('web');
      const resource = await rp('resource');
      const begun = await beginAuthorization(page, d.rp, web, { scope: 'openid offline_access', prompt: 'consent' });
      await signInOnPage(page, account.email);
      const tokens = await exchange(web, await backAtRelyingParty(page, d.rp), begun);
      const session = (await pageSession(context, d.url))!;
      const access = await oidc.tokenIntrospection(resource, tokens.access_token);
      assert.equal(access.active, true);
      assert.equal(access.sub, account.userId);
      assert.equal(access.client_id, 'web');
      assert.equal(access.sid, session.sessionId);
      assert.equal((await oidc.tokenIntrospection(resource, tokens.refresh_token!)).active, true);
      // A client introspects only its own tokens: partner learns nothing of web's.
      assert.equal((await oidc.tokenIntrospection(await rp('partner'), tokens.access_token)).active, false);
      await oidc.tokenRevocation(web, tokens.access_token);
      assert.equal((await oidc.tokenIntrospection(resource, tokens.access_token)).active, false);
      await oidc.tokenRevocation(web, tokens.refresh_token!);
      assert.equal((await oidc.tokenIntrospection(resource, tokens.refresh_token!)).active, false);
      await assert.rejects(oidc.refreshTokenGrant(web, tokens.refresh_token!), isInvalidGrant);
    } finally {
      await context.close();
    }
  });

  test('client credentials: a service gets a token a resource server can introspect; a wrong secret is refused', async () => {
    const d = get();
    const service = await rp('service');
    const token = await oidc.clientCredentialsGrant(service);
    assert.equal(token.token_type.toLowerCase(), 'bearer');
    const info = await oidc.tokenIntrospection(await rp('resource'), token.access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'service');
    assert.equal(info.sub, undefined, 'no person behind it');
    const wrong = await relyingParty(d.url, 'service', 'not-the-secret');
    await assert.rejects(oidc.clientCredentialsGrant(wrong), isInvalidClient);
    const wrongCode = await relyingParty(d.url, 'web', `${SECRETS.web}x`);
    await assert.rejects(oidc.refreshTokenGrant(wrongCode, 'whatever'), isInvalidClient);
  });

  test('an unregistered redirect URI is never redirected to; a public client without PKCE is refused', async () => {
    const d = get();
    const web = await rp('web');
    const evil = oidc.buildAuthorizationUrl(web, {
      redirect_uri: 'https://evil.example/cb',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 's',
    });
    const answer = await fetch(evil, { redirect: 'manual' });
    assert.equal(answer.status, 400);
    assert.equal(answer.headers.get('location'), null, 'no redirect at all');
    const page = await answer.text();
    assert.match(page, /redirect_uri/);
    assert.doesNotMatch(page, /evil\.example/, 'the page does not even name it as a link');
    const { context, page: browserPage } = await browserDevice(d.browser);
    try {
      await browserPage.goto(evil.href);
      assert.equal(new URL(browserPage.url()).origin, d.url, 'the browser stays on authgate');
      // A public client without PKCE: refused at its own (registered) redirect URI.
      const spa = await rp('spa');
      await browserPage.goto(oidc.buildAuthorizationUrl(spa, { redirect_uri: `${d.rp.url}/cb`, scope: 'openid', state: 'x' }).href);
      const refused = await backAtRelyingParty(browserPage, d.rp);
      assert.equal(refused.searchParams.get('error'), 'invalid_request');
      assert.match(refused.searchParams.get('error_description') ?? '', /PKCE/);
    } finally {
      await context.close();
    }
  });

  test('back-channel logout within 1 s when the person signs out on the page; the refresh tokens stop working', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-signout`);
    const signedIn = await signedInToBoth(d, account);
    try {
      await signedIn.page.goto(d.url);
      await signedIn.page.locator('#sign-out').waitFor({ timeout: 30_000 });
      const since = Date.now();
      await signedIn.page.locator('#sign-out').click();
      await loggedOutEverywhere(d, signedIn, account, since, 'sign out');
    } finally {
      await signedIn.context.close();
    }
  });

  test('back-channel logout within 1 s when another session revokes this one', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-revoke`);
    const signedIn = await signedInToBoth(d, account);
    try {
      const since = Date.now();
      const revoked = await call(d.url, 'DELETE', `/auth/sessions/${signedIn.session.sessionId}`, { headers: bearer(account.other.accessToken) });
      assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
      await loggedOutEverywhere(d, signedIn, account, since, 'revoke');
    } finally {
      await signedIn.context.close();
    }
  });

  test('back-channel logout within 1 s when another session signs out all the others', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-others`);
    const signedIn = await signedInToBoth(d, account);
    try {
      const since = Date.now();
      const revoked = await call(d.url, 'POST', '/auth/sessions/revoke-others', { headers: bearer(account.other.accessToken) });
      assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
      await loggedOutEverywhere(d, signedIn, account, since, 'revoke-others');
    } finally {
      await signedIn.context.close();
    }
  });

  test('back-channel logout within 1 s when the password is reset', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-reset`);
    const signedIn = await signedInToBoth(d, account);
    try {
      const forgot = await post(d.url, '/auth/password/forgot', { email: account.email });
      assert.equal(forgot.status, 202);
      const mail = await d.mailbox.take(account.email, (m) => /Reset your/.test(m.subject ?? ''));
      const token = new URL(mailLink(mail, d.url, '/reset-password')).hash.replace(/^#token=/, '');
      const since = Date.now();
      const reset = await post(d.url, '/auth/password/reset', { token, password: `${PASSWORD} again` });
      assert.equal(reset.status, 204, JSON.stringify(reset.body));
      await loggedOutEverywhere(d, signedIn, account, since, 'password reset');
    } finally {
      await signedIn.context.close();
    }
  });

  test('administrators: ADMIN_EMAILS counts only once verified; client routes; a disabled account is logged out of every client within 1 s', async () => {
    const d = get();
    const registered = await post(d.url, '/auth/register', { email: d.adminEmail, password: PASSWORD });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const adminLogin = await post(d.url, '/auth/login', { email: d.adminEmail, password: PASSWORD, deviceId: 'admin-desk' });
    const unverified = await call(d.url, 'GET', '/admin/oidc/clients', { headers: bearer(adminLogin.body.accessToken) });
    assert.equal(unverified.status, 403, 'an address in ADMIN_EMAILS that is not verified names no administrator');
    await verifyEmail(d, d.adminEmail);
    const admin = bearer(adminLogin.body.accessToken);

    // A client registered by an administrator is usable at once; its secret is shown once and kept as a digest.
    const created = await call(d.url, 'POST', '/admin/oidc/clients', {
      headers: admin,
      body: { client_name: 'Reports', grant_types: ['client_credentials'], response_types: [] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.ok(created.body.client_id && created.body.client_secret.length >= 43);
    const reports = await relyingParty(d.url, created.body.client_id as never, created.body.client_secret);
    assert.ok((await oidc.clientCredentialsGrant(reports)).access_token);
    const listed = await call(d.url, 'GET', '/admin/oidc/clients', { headers: admin });
    assert.equal(listed.status, 200);
    const clients = listed.body.clients as Array<Record<string, unknown>>;
    assert.ok(clients.some((c) => c.client_id === created.body.client_id && c.source === 'admin'));
    assert.ok(clients.some((c) => c.client_id === 'web' && c.source === 'OIDC_CLIENTS'));
    assert.ok(
      clients.every((c) => !('client_secret' in c)),
      'no secret, nor its digest, in the list',
    );
    const bad = await call(d.url, 'POST', '/admin/oidc/clients', { headers: admin, body: { redirect_uris: ['not a url'] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
    const chosen = await call(d.url, 'POST', '/admin/oidc/clients', {
      headers: admin,
      body: { client_id: 'mine', grant_types: ['client_credentials'], response_types: [] },
    });
    assert.equal(chosen.status, 400);
    assert.equal((await call(d.url, 'DELETE', '/admin/oidc/clients/web', { headers: admin })).status, 403, 'OIDC_CLIENTS are changed in the configuration');
    assert.equal((await call(d.url, 'DELETE', `/admin/oidc/clients/${created.body.client_id}`, { headers: admin })).status, 204);
    assert.equal((await call(d.url, 'DELETE', `/admin/oidc/clients/${created.body.client_id}`, { headers: admin })).status, 404);
    await assert.rejects(oidc.clientCredentialsGrant(reports), isInvalidClient, 'a removed client is refused');
    const someone = await newAccount(d.url, `${d.label}-notadmin`);
    assert.equal((await call(d.url, 'GET', '/admin/oidc/clients', { headers: bearer(someone.other.accessToken) })).status, 403);

    // Disabling an account ends its sessions: the OpenID clients hear of it.
    const account = await newAccount(d.url, `${d.label}-disabled`);
    const signedIn = await signedInToBoth(d, account);
    try {
      const since = Date.now();
      const disabled = await call(d.url, 'POST', `/admin/users/${account.userId}/disable`, { headers: admin });
      assert.equal(disabled.status, 204, JSON.stringify(disabled.body));
      await loggedOutEverywhere(d, signedIn, account, since, 'admin disable');
    } finally {
      await signedIn.context.close();
    }
  });

  test('RP-initiated logout: confirmed on authgate, back to the client with its state; the other client is told and the authgate session ends', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-rplogout`);
    const signedIn = await signedInToBoth(d, account);
    try {
      const end = oidc.buildEndSessionUrl(await rp('web'), {
        id_token_hint: signedIn.webTokens.id_token!,
        post_logout_redirect_uri: `${d.rp.url}/logged-out`,
        state: 'bye',
      });
      await signedIn.page.goto(end.href);
      const since = Date.now();
      await Promise.all([
        signedIn.page.waitForURL((url) => url.href.startsWith(`${d.rp.url}/logged-out`), { timeout: 30_000 }),
        signedIn.page.locator('button[name=logout][value=yes]').click(),
      ]);
      assert.equal(new URL(signedIn.page.url()).searchParams.get('state'), 'bye');
      await loggedOutEverywhere(d, signedIn, account, since, 'RP-initiated logout');
      // "One session": the authgate session behind it ended too.
      const verify = await call(d.url, 'GET', '/auth/verify', { headers: bearer(signedIn.session.accessToken) });
      for (let i = 0; i < 20 && verify.status === 200; i++) await sleep(100);
      assert.equal((await call(d.url, 'GET', '/auth/verify', { headers: bearer(signedIn.session.accessToken) })).status, 401);
    } finally {
      await signedIn.context.close();
    }
  });
}

/** The cluster's own handles, for the scenarios that stop its processes or reach its Redis. */
export interface ClusterHandles {
  namespace: string;
  redisUrl: string;
  stopApis(): Promise<void>;
  startApis(): Promise<void>;
}

/**
 * Cluster only: the two API processes share one provider state, and the end of a session reaches the
 * OpenID clients even when no API process was there to hear it.
 */
export function clusterScenarios(get: () => OidcDeployment & { cluster: ClusterHandles }): void {
  test('a session ended while every API process was down: its logout tokens go out when one starts, once', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-downtime`);
    const signedIn = await signedInToBoth(d, account);
    try {
      await d.cluster.stopApis();
      const since = Date.now();
      // Served by an edge and a worker: the API processes are not needed to end a session.
      const revoked = await call(d.url, 'DELETE', `/auth/sessions/${signedIn.session.sessionId}`, { headers: bearer(account.other.accessToken) });
      assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
      await sleep(1_500);
      assert.equal(d.rp.logouts.filter((x) => x.at >= since).length, 0, 'nobody could tell the clients yet');
      await d.cluster.startApis();
      const restarted = Date.now();
      const deliveries = await d.rp.waitFor(['web', 'partner'], since, 15_000);
      for (const [clientId, delivery] of deliveries) {
        assert.equal(decodeJwt(delivery.logoutToken).sid, signedIn.session.sessionId);
        assert.ok(delivery.at - restarted < 5_000, `${clientId} told ${delivery.at - restarted} ms after the API processes were up`);
      }
      await assert.rejects(oidc.refreshTokenGrant(await relyingParty(d.url, 'web'), signedIn.webTokens.refresh_token!), isInvalidGrant);
      await sleep(1_500);
      for (const clientId of ['web', 'partner']) assert.equal(d.rp.to(clientId).filter((x) => x.at >= since).length, 1, `${clientId} was told once`);
    } finally {
      await signedIn.context.close();
    }
  });

  test('an end that reached no API process at all: its refresh tokens are refused and the browser signs in again', async () => {
    const d = get();
    const account = await newAccount(d.url, `${d.label}-lost`);
    const { context, page } = await browserDevice(d.browser, account.deviceId);
    const redis = new Redis(d.cluster.redisUrl);
    try {
      const web = await relyingParty(d.url, 'web');
      const begun = await beginAuthorization(page, d.rp, web, { scope: 'openid offline_access', prompt: 'consent' });
      await signInOnPage(page, account.email);
      const tokens = await exchange(web, await backAtRelyingParty(page, d.rp), begun);
      const sid = tokens.claims()!.sid as string;
      // The session is gone from the gateway's store and no revocation was broadcast (a worker that died
      // between the two): nothing tells the OpenID layer.
      assert.equal(await redis.del(`${d.cluster.namespace}:sess:{${sid}}`), 1);
      await assert.rejects(oidc.refreshTokenGrant(web, tokens.refresh_token!), isInvalidGrant, 'checked at each use');
      const silent = oidc.buildAuthorizationUrl(web, {
        redirect_uri: `${d.rp.url}/cb`,
        scope: 'openid',
        prompt: 'none',
        state: 'quiet',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      await page.goto(silent.href);
      assert.equal((await backAtRelyingParty(page, d.rp)).searchParams.get('error'), 'login_required', 'no silent sign-in on an ended session');
    } finally {
      redis.disconnect();
      await context.close();
    }
  });

  test('two API processes share the provider: authorization at one, code exchange and refresh at the other', async () => {
    const d = get();
    assert.equal(d.apis.length, 2);
    const account = await newAccount(d.url, `${d.label}-shared`);
    const { context, page } = await browserDevice(d.browser, account.deviceId);
    try {
      const web = await relyingParty(d.url, 'web');
      const begun = await beginAuthorization(page, d.rp, web, { scope: 'openid offline_access', prompt: 'consent' });
      await signInOnPage(page, account.email);
      const code = (await backAtRelyingParty(page, d.rp)).searchParams.get('code')!;
      const basic = `Basic ${Buffer.from(`web:${SECRETS.web}`).toString('base64')}`;
      const tokenAt = (api: string, body: Record<string, string>) =>
        fetch(`${api}/oidc/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body),
        });
      // Whichever process is asked, and whatever Host it was asked by, the provider names PUBLIC_URL's origin.
      const discovered = (await (await fetch(`${d.apis[1]}/.well-known/openid-configuration`)).json()) as Record<string, string>;
      assert.equal(discovered.issuer, d.url);
      assert.equal(discovered.token_endpoint, `${d.url}/oidc/token`);
      const exchanged = await tokenAt(d.apis[1]!, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${d.rp.url}/cb`,
        code_verifier: begun.codeVerifier,
      });
      assert.equal(exchanged.status, 200, await exchanged.clone().text());
      const tokens = (await exchanged.json()) as { refresh_token: string; id_token: string };
      assert.equal(decodeJwt(tokens.id_token).iss, d.url, 'the issuer is PUBLIC_URL whichever process answers');
      const refreshed = await tokenAt(d.apis[0]!, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
      const replay = await tokenAt(d.apis[1]!, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(replay.status, 400);
      assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
    } finally {
      await context.close();
    }
  });
}
