import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { shot } from '../../../../test/browser/support.ts';
import { signedIn, submit } from '../../../../test/browser/scenarios.ts';
import { copyPasskeys, withAuthenticator } from './virtual-authenticator.ts';

/** The claims of the access token the page keeps (its session in localStorage). */
async function accessClaims(page: Page): Promise<Record<string, unknown>> {
  const token = await page.evaluate(() => (globalThis as unknown as { authgate: { current: { accessToken: string } } }).authgate.current.accessToken);
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Waits for an entry of the event trail (written in batches), asking the page to reload it meanwhile. */
async function inTrail(page: Page, type: string): Promise<void> {
  const entry = page.locator(`#events li[data-type="${type}"]`).first();
  for (let i = 0; i < 15; i++) {
    if (await entry.isVisible()) return;
    await page.locator('#events-refresh').click();
    await entry.waitFor({ timeout: 1_000 }).catch(() => {});
  }
  await entry.waitFor({ timeout: 1_000 });
}

/**
 * The passkey scenario through the page, in Debian's chromium with the DevTools virtual authenticator:
 * add a passkey on the laptop, sign out, sign in with it on another device (another browser context
 * the passkey was copied to) without a password and without the new-device approval, remove it there,
 * and see the next sign-in with it refused. `url()` is a localhost origin (browsers refuse WebAuthn
 * on an IP address), the gateway's PUBLIC_URL.
 */
export function passkeyPageScenarios(ctx: () => { browser: Browser; url: string }, label: string): void {
  test('add a passkey, sign out, sign in with it from another device (no approval asked), remove it, and it is refused', async () => {
    const { browser, url } = ctx();
    const email = `passkey-page-${label}-${Date.now().toString(36)}@example.com`;
    const laptop = await withAuthenticator(browser, `laptop-${label}-${Date.now().toString(36)}`);
    const phone = await withAuthenticator(browser);
    try {
      await laptop.page.goto(url);
      await laptop.page.locator('#passkey-sign-in').waitFor();
      await submit(laptop.page, 'sign-up', email);
      await signedIn(laptop.page, email);

      const add = laptop.page.locator('#passkey-add');
      await laptop.page.locator('#passkey-list li.empty').waitFor();
      await add.getByLabel('Name').fill('Work laptop');
      await add.getByRole('button', { name: 'Add a passkey' }).click();
      const listed = laptop.page.locator('#passkey-list li[data-passkey]');
      await listed.filter({ hasText: 'Work laptop' }).waitFor();
      assert.match((await listed.textContent()) ?? '', /last used never/);
      await laptop.page.locator('#notices').filter({ hasText: 'The passkey Work laptop was added.' }).waitFor();
      await inTrail(laptop.page, 'passkey.registered');
      await shot(laptop.page, `passkeys-${label}-01-added`);

      await laptop.page.locator('#sign-out').click();
      await laptop.page.locator('#passkey-sign-in').waitFor();

      // The phone never signed in to this account: a password sign-in there would wait for an approval.
      assert.equal(await copyPasskeys(laptop, phone), 1);
      await phone.page.goto(url);
      await shot(phone.page, `passkeys-${label}-02-signed-out`);
      await phone.page.locator('#passkey-sign-in').click();
      await signedIn(phone.page, email);
      assert.equal(await phone.page.locator('#device-wait').count(), 0, 'no device approval was asked');
      const claims = await accessClaims(phone.page);
      assert.deepEqual(claims.amr, ['hwk'], 'the session records a passkey sign-in');
      assert.equal(typeof claims.auth_time, 'number');
      const used = phone.page.locator('#passkey-list li[data-passkey]').filter({ hasText: 'Work laptop' });
      await used.waitFor();
      assert.doesNotMatch((await used.textContent()) ?? '', /last used never/, 'the sign-in is its last use');
      await shot(phone.page, `passkeys-${label}-03-signed-in-with-passkey`);

      await used.getByRole('button', { name: 'Remove the passkey Work laptop' }).click();
      await phone.page.locator('#passkey-list li.empty').waitFor();
      await phone.page.locator('#notices').filter({ hasText: 'The passkey Work laptop was removed.' }).waitFor();
      await inTrail(phone.page, 'passkey.removed');

      await phone.page.locator('#sign-out').click();
      await phone.page.locator('#passkey-sign-in').click();
      // The authenticator still holds it, and signs; the gateway no longer knows it.
      await phone.page.locator('#passkey-sign-in-error').filter({ hasText: 'That passkey was not accepted.' }).waitFor();
      assert.equal(await phone.page.locator('#who').textContent(), '', 'not signed in');
      await shot(phone.page, `passkeys-${label}-04-removed-refused`);
      assert.deepEqual([...laptop.problems, ...phone.problems], [], 'no script error and no CSP violation');
    } finally {
      await laptop.context.close();
      await phone.context.close();
    }
  });
}
