import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { mailLink } from '../helpers/mail-links.ts';
import { isPasswordChangedMail, isResetMail, isVerifyMail, type Mailbox } from '../helpers/mailbox.ts';
import { PASSWORD, signedIn, submit } from './scenarios.ts';
import { device, shot } from './support.ts';

const NEW_PASSWORD = 'a brand new staple battery';

/** What the page's own client offers the tests (globalThis.authgate). */
type PageClient = { authgate: { accessToken(): Promise<string> } };

/**
 * Every request a context makes, with its Referer: a token of a link must show in none of them (the
 * fragment never reaches a server, and the page sends no Referer at all).
 */
function recordRequests(context: BrowserContext): { seen: Array<{ url: string; referer: string | undefined }>; settled: () => Promise<void> } {
  const seen: Array<{ url: string; referer: string | undefined }> = [];
  const pending: Promise<void>[] = [];
  context.on('request', (request) => {
    pending.push(
      request.allHeaders().then(
        (headers) => {
          seen.push({ url: request.url(), referer: headers.referer });
        },
        () => {
          seen.push({ url: request.url(), referer: undefined });
        },
      ),
    );
  });
  return { seen, settled: async () => void (await Promise.all(pending)) };
}

/** The page's answer at a mail's link: the page itself, under its own headers. */
function assertPageAnswer(response: Response | null, what: string): void {
  assert.ok(response, `${what}: no answer`);
  assert.equal(response.status(), 200, `${what}: status`);
  const headers = response.headers();
  assert.match(headers['content-type'] ?? '', /^text\/html/, `${what}: Content-Type`);
  assert.equal(headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  assert.match(headers['content-security-policy'] ?? '', /script-src 'self'/, `${what}: the page's CSP`);
}

/** GET /auth/me with the access token of the page's session, on the gateway's one origin. */
async function me(url: string, page: Page): Promise<{ email: string; emailVerified: boolean }> {
  const token = await page.evaluate(() => (globalThis as unknown as PageClient).authgate.accessToken());
  const answer = await fetch(`${url}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(answer.status, 200);
  return (await answer.json()) as { email: string; emailVerified: boolean };
}

/**
 * The links of real mails (the deployment's outbox or SMTP server, parsed with mailparser), followed
 * in the browser: each opens the page on PUBLIC_URL (here the gateway's own origin), which finishes
 * the flow. `ctx().url` is PUBLIC_URL.
 */
export function mailLinkScenarios(ctx: () => { browser: Browser; url: string; mailbox: Mailbox }, label: string): void {
  const stamp = Date.now().toString(36);

  test('the verification link of the registration mail verifies the address in another browser; the token leaves the address bar; opened again, it says so', async () => {
    const { browser, url, mailbox } = ctx();
    const email = `verify-link-${label}-${stamp}@example.com`;
    const laptop = await device(browser);
    const phone = await device(browser);
    const requests = recordRequests(phone.context);
    try {
      await laptop.page.goto(url);
      await submit(laptop.page, 'sign-up', email);
      await signedIn(laptop.page, email);
      assert.equal((await me(url, laptop.page)).emailVerified, false, 'not verified before the link');
      await laptop.page.locator('#email-state[data-verified="false"]').filter({ hasText: 'is not confirmed yet' }).waitFor();

      const link = mailLink(await mailbox.take(email, isVerifyMail), url, '/verify-email');
      const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token');
      assert.ok(token && token.length >= 43, 'the link carries its token in the fragment');

      // The mail opened on another device, signed out: the link alone verifies.
      const answer = await phone.page.goto(link);
      assertPageAnswer(answer, 'GET /verify-email');
      const screen = phone.page.locator('#verify-email[data-outcome="verified"]');
      await screen.waitFor();
      assert.match((await screen.textContent()) ?? '', /Your email address is confirmed/);
      assert.equal(phone.page.url(), `${url}/verify-email`, 'the token is gone from the address bar');
      assert.equal(await phone.page.evaluate(() => (globalThis as unknown as { location: { href: string } }).location.href.includes('token')), false);
      await phone.page.getByRole('link', { name: 'Sign in' }).waitFor();
      await shot(phone.page, `${label}-20-email-verified`);

      assert.equal((await me(url, laptop.page)).emailVerified, true, 'GET /auth/me: emailVerified');

      // The same link again, in the signed-in browser: spent, said in words, and the account is verified.
      await laptop.page.goto(link);
      const spent = laptop.page.locator('#verify-email-error');
      await spent.filter({ hasText: 'This link has expired or was already used.' }).waitFor();
      await spent.filter({ hasText: 'confirmed already' }).waitFor();
      assert.equal(laptop.page.url(), `${url}/verify-email`);
      await shot(laptop.page, `${label}-21-verify-link-spent`);
      await laptop.page.getByRole('link', { name: 'Continue to your account' }).click();
      await signedIn(laptop.page, email);
      await laptop.page
        .locator('#email-state[data-verified="true"]')
        .filter({ hasText: `${email} is confirmed.` })
        .waitFor();

      await requests.settled();
      assert.ok(requests.seen.length > 0, 'requests were recorded');
      const leaks = requests.seen.filter((r) => r.url.includes(token) || r.referer?.includes(token));
      assert.deepEqual(leaks, [], 'no request carries the token in its address or Referer');
      assert.deepEqual(
        requests.seen.filter((r) => r.referer !== undefined),
        [],
        'no Referer at all (Referrer-Policy: no-referrer)',
      );
      assert.deepEqual([...laptop.problems, ...phone.problems], [], 'no script error and no CSP violation');
    } finally {
      await laptop.context.close();
      await phone.context.close();
    }
  });

  test('forgot on the page → the reset link of the mail → "New password" (a weak one refused in words) → every session out; the new password signs in, the old does not', async () => {
    const { browser, url, mailbox } = ctx();
    const email = `reset-link-${label}-${stamp}@example.com`;
    const deviceId = `reset-laptop-${label}-${stamp}`;
    const laptop = await device(browser, deviceId);
    // Another window of the same device, signed in when the password is reset elsewhere.
    const other = await device(browser, deviceId);
    const requests = recordRequests(laptop.context);
    try {
      await laptop.page.goto(url);
      await submit(laptop.page, 'sign-up', email);
      await signedIn(laptop.page, email);
      await other.page.goto(url);
      await submit(other.page, 'sign-in', email);
      await signedIn(other.page, email);
      await laptop.page.locator('#sign-out').click();

      await laptop.page.getByText('Forgot your password?').click();
      const forgot = laptop.page.locator('#forgot-password');
      await forgot.getByLabel('Email').fill(email);
      await forgot.getByRole('button', { name: 'Send me a reset link' }).click();
      await forgot.getByRole('status').filter({ hasText: 'is on its way' }).waitFor();
      await shot(laptop.page, `${label}-22-forgot-sent`);

      const link = mailLink(await mailbox.take(email, isResetMail), url, '/reset-password');
      const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token');
      assert.ok(token && token.length >= 43, 'the link carries its token in the fragment');
      assertPageAnswer(await laptop.page.goto(link), 'GET /reset-password');
      const choose = laptop.page.locator('#reset-password-form');
      await choose.waitFor();
      assert.equal(laptop.page.url(), `${url}/reset-password`, 'the token is gone from the address bar');

      await choose.getByLabel('New password').fill('password1');
      await choose.getByRole('button', { name: 'Set new password' }).click();
      await choose.getByRole('alert').filter({ hasText: 'That password is too weak' }).waitFor();
      await shot(laptop.page, `${label}-23-reset-weak-password`);

      await choose.getByLabel('New password').fill(NEW_PASSWORD);
      await choose.getByRole('button', { name: 'Set new password' }).click();
      const done = laptop.page.locator('#reset-password-done');
      await done.filter({ hasText: 'Your password is changed' }).waitFor();
      await shot(laptop.page, `${label}-24-reset-done`);
      // The other window's session ended with the reset: it is told so, live.
      await other.page.locator('#signed-out-notice').filter({ hasText: 'the password of this account was reset' }).waitFor({ timeout: 10_000 });

      await done.getByRole('link', { name: 'Sign in' }).click();
      await laptop.page.waitForURL(`${url}/`);
      await submit(laptop.page, 'sign-in', email, PASSWORD);
      await laptop.page.locator('#sign-in [role="alert"]').filter({ hasText: 'The email or password is incorrect.' }).waitFor();
      await submit(laptop.page, 'sign-in', email, NEW_PASSWORD);
      await signedIn(laptop.page, email);

      // The link is spent: said in words, with the way to ask for a new one.
      await laptop.page.goto(link);
      await laptop.page.locator('#reset-password-form').getByLabel('New password').fill('another new staple battery');
      await laptop.page.getByRole('button', { name: 'Set new password' }).click();
      await laptop.page.locator('#reset-password-spent').filter({ hasText: 'This reset link has expired or was already used.' }).waitFor();
      await laptop.page.locator('#forgot-password').getByLabel('Email').waitFor();
      await shot(laptop.page, `${label}-25-reset-link-spent`);

      await requests.settled();
      const leaks = requests.seen.filter((r) => r.url.includes(token) || r.referer?.includes(token));
      assert.deepEqual(leaks, [], 'no request carries the token in its address or Referer');
      assert.deepEqual([...laptop.problems, ...other.problems], [], 'no script error and no CSP violation');
    } finally {
      await laptop.context.close();
      await other.context.close();
    }
  });

  test("the security link of a notice mail shows the sign-in form first, then the account's sessions and second factor", async () => {
    const { browser, url, mailbox } = ctx();
    const email = `security-link-${label}-${stamp}@example.com`;
    const deviceId = `security-laptop-${label}-${stamp}`;
    const laptop = await device(browser, deviceId);
    try {
      // A reset through the API: the account then gets the "password was changed" notice.
      await laptop.page.goto(url);
      await submit(laptop.page, 'sign-up', email);
      await signedIn(laptop.page, email);
      const forgot = await fetch(`${url}/auth/password/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      assert.equal(forgot.status, 202);
      const resetLink = mailLink(await mailbox.take(email, isResetMail), url, '/reset-password');
      const reset = await fetch(`${url}/auth/password/reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: new URLSearchParams(new URL(resetLink).hash.slice(1)).get('token'), password: NEW_PASSWORD }),
      });
      assert.equal(reset.status, 204);
      await laptop.page.locator('#signed-out-notice').filter({ hasText: 'the password of this account was reset' }).waitFor({ timeout: 10_000 });

      const link = mailLink(await mailbox.take(email, isPasswordChangedMail), url, '/account/security');
      assertPageAnswer(await laptop.page.goto(link), 'GET /account/security');
      const notice = laptop.page.locator('#signed-out-notice');
      await notice.filter({ hasText: 'Sign in to review the sessions and the second factor' }).waitFor();
      await shot(laptop.page, `${label}-26-security-sign-in-first`);
      await submit(laptop.page, 'sign-in', email, NEW_PASSWORD);
      await signedIn(laptop.page, email);
      assert.equal(laptop.page.url(), `${url}/account/security`, 'still the security page');
      await laptop.page.locator('#sessions li.current').waitFor();
      await laptop.page.locator('#mfa-state').filter({ hasText: 'Off' }).waitFor();
      await shot(laptop.page, `${label}-27-security-view`);

      // Signed in already, the link opens the security view at once.
      await laptop.page.goto(link);
      await signedIn(laptop.page, email);
      await laptop.page.locator('#mfa-state').waitFor();
      assert.deepEqual(laptop.problems, [], 'no script error and no CSP violation');
    } finally {
      await laptop.context.close();
    }
  });
}
