import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import type { Mailbox } from '../helpers/mailbox.ts';
import { ARTIFACTS, device, type InPage, shot, watch } from './support.ts';

export const PASSWORD = 'correct horse battery staple';

/** Fills and sends the sign-up or sign-in form of the signed-out screen. */
export async function submit(page: Page, formId: 'sign-up' | 'sign-in', email: string, password = PASSWORD): Promise<void> {
  const form = page.locator(`#${formId}`);
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button').click();
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

export async function signedIn(page: Page, email: string): Promise<void> {
  await page
    .locator('#who')
    .filter({ hasText: `Signed in as ${email}` })
    .waitFor();
  await page.locator('#sessions li').first().waitFor();
}

/** The page's scenarios against a gateway at `url()`; `label` prefixes the screenshots. */
export function pageScenarios(ctx: () => { browser: Browser; url: string; mailbox: Mailbox }, label: string): void {
  const email = `page-${label}-${Date.now().toString(36)}@example.com`;
  // The laptop: the account's first device (signed up there), a context of its own in each test.
  const laptopId = `laptop-${label}-${Date.now().toString(36)}`;

  test('sign up, sign out, sign in again; a wrong password is told in words', async () => {
    const { browser, url } = ctx();
    const { context, page, problems } = await device(browser, laptopId);
    try {
      await page.goto(url);
      await page.getByRole('heading', { name: 'Create an account' }).waitFor();
      await shot(page, `${label}-01-signed-out`);
      await submit(page, 'sign-up', email);
      await signedIn(page, email);
      await inTrail(page, 'register');
      await shot(page, `${label}-02-signed-up`);

      await page.locator('#sign-out').click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.match((await page.locator('#signed-out-notice').textContent()) ?? '', /You signed out/);

      await submit(page, 'sign-in', email, 'not the password at all');
      const alert = page.locator('#sign-in [role="alert"]');
      await alert.filter({ hasText: 'The email or password is incorrect.' }).waitFor();
      await shot(page, `${label}-03-wrong-password`);

      await submit(page, 'sign-in', email);
      await signedIn(page, email);
      assert.deepEqual(problems, [], 'no script error and no CSP violation');
    } finally {
      await context.close();
    }
  });

  test('a new device waits; the signed-in device is asked live and approves it; revoking it then signs it out live', async () => {
    const { browser, url } = ctx();
    const laptop = await device(browser, laptopId);
    const phone = await device(browser);
    try {
      await laptop.page.goto(url);
      await submit(laptop.page, 'sign-in', email);
      await signedIn(laptop.page, email);
      await laptop.page.locator('#link[data-state="open"]').waitFor();
      const before = await laptop.page.locator('#sessions li').count();

      await phone.page.goto(url);
      await submit(phone.page, 'sign-in', email);
      // The phone is a device this account never used: it waits, and the laptop is asked, live.
      const waiting = phone.page.locator('#device-wait');
      await waiting.waitFor();
      const verificationId = await waiting.getAttribute('data-verification');
      assert.ok(verificationId);
      const prompt = laptop.page.locator(`.approval[data-verification="${verificationId}"]`);
      await prompt.waitFor({ timeout: 10_000 });
      assert.match((await prompt.textContent()) ?? '', /A new device is signing in/);
      await shot(phone.page, `${label}-04-device-waiting`);
      await shot(laptop.page, `${label}-05-approval-prompt`);
      assert.equal(
        await phone.page.evaluate(() => (globalThis as unknown as InPage).localStorage.getItem('authgate.session')),
        null,
        'no session while waiting',
      );

      // Approving on the laptop signs the phone in, without a reload: the marker set now survives.
      await phone.page.evaluate(() => {
        (globalThis as { sameDocument?: boolean }).sameDocument = true;
      });
      await prompt.getByRole('button', { name: 'Yes, it is me' }).click();
      await signedIn(phone.page, email);
      assert.equal(await phone.page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true, 'signed in without a reload');
      await prompt.waitFor({ state: 'detached' });
      await laptop.page.locator('#notices').filter({ hasText: 'The new device was approved.' }).waitFor();

      // The laptop's list grows by the phone's session without a reload (security.new_sign_in).
      await laptop.page.locator('#sessions li').nth(before).waitFor();
      const phoneSession = await phone.page.evaluate(
        () => (globalThis as unknown as { authgate: { current: { sessionId: string } } }).authgate.current.sessionId,
      );
      const row = laptop.page.locator(`#sessions li[data-session="${phoneSession}"]`);
      await row.waitFor();
      await shot(phone.page, `${label}-06-device-approved`);
      await shot(laptop.page, `${label}-07-sessions-two-devices`);
      await phone.page.locator('#link[data-state="open"]').waitFor();

      await row.getByRole('button', { name: /Revoke/ }).click();
      // The phone is told at once, over its socket, without a reload or a request of its own.
      const notice = phone.page.locator('#signed-out-notice');
      await notice.filter({ hasText: 'ended from another of your devices' }).waitFor({ timeout: 10_000 });
      await shot(phone.page, `${label}-08-revoked-live`);
      await row.waitFor({ state: 'detached' });
      await inTrail(laptop.page, 'session.revoked');
      await shot(laptop.page, `${label}-09-after-revoke`);
      assert.deepEqual([...laptop.problems, ...phone.problems], [], 'no script error and no CSP violation');
    } finally {
      await laptop.context.close();
      await phone.context.close();
    }
  });

  test('a new device denied from the signed-in one is told so in words and gets no session', async () => {
    const { browser, url } = ctx();
    const laptop = await device(browser, laptopId);
    const tablet = await device(browser);
    try {
      await laptop.page.goto(url);
      await submit(laptop.page, 'sign-in', email);
      await signedIn(laptop.page, email);
      await laptop.page.locator('#link[data-state="open"]').waitFor();
      await tablet.page.goto(url);
      await submit(tablet.page, 'sign-in', email);
      const waiting = tablet.page.locator('#device-wait');
      await waiting.waitFor();
      const verificationId = await waiting.getAttribute('data-verification');
      const prompt = laptop.page.locator(`.approval[data-verification="${verificationId}"]`);
      await prompt.waitFor({ timeout: 10_000 });
      await prompt.getByRole('button', { name: 'No, deny it' }).click();

      const notice = tablet.page.locator('#signed-out-notice');
      await notice.filter({ hasText: 'This sign-in was denied from one of your devices.' }).waitFor({ timeout: 10_000 });
      await tablet.page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await shot(tablet.page, `${label}-10-device-denied`);
      const held = await tablet.page.evaluate(() => ({
        client: (globalThis as unknown as { authgate: { current: unknown } }).authgate.current,
        stored: (globalThis as unknown as InPage).localStorage.getItem('authgate.session'),
      }));
      assert.deepEqual(held, { client: null, stored: null }, 'the denied device holds no session');
      await laptop.page.locator('#notices').filter({ hasText: 'The new device was denied.' }).waitFor();
      await prompt.waitFor({ state: 'detached' });
      assert.deepEqual([...laptop.problems, ...tablet.problems], [], 'no script error and no CSP violation');
    } finally {
      await laptop.context.close();
      await tablet.context.close();
    }
  });

  test('a new device signs in with the code mailed to the account', async () => {
    const { browser, url, mailbox } = ctx();
    const first = await device(browser);
    const second = await device(browser);
    try {
      const mailEmail = `code-${email}`;
      await first.page.goto(url);
      await submit(first.page, 'sign-up', mailEmail);
      await signedIn(first.page, mailEmail);

      await second.page.goto(url);
      await submit(second.page, 'sign-in', mailEmail);
      await second.page.locator('#device-wait').waitFor();
      const mail = await mailbox.take(mailEmail, (m) => /sign-in code/i.test(m.subject ?? ''));
      const code = /^\s+(\d{6})\s*$/m.exec(mail.text ?? '')?.[1];
      assert.ok(code, 'a six-digit code in the mail');
      const form = second.page.locator('#device-code');
      await form.getByLabel('Code from the email').fill(code);
      await shot(second.page, `${label}-11-device-code`);
      await form.getByRole('button', { name: 'Verify this device' }).click();
      await signedIn(second.page, mailEmail);
      assert.equal(await second.page.locator('#sessions li').count(), 2, 'both devices signed in');
      assert.deepEqual([...first.problems, ...second.problems], [], 'no script error and no CSP violation');
    } finally {
      await first.context.close();
      await second.context.close();
    }
  });

  test('past the hourly prompts and code mails of the account, a new device is told that nobody was asked', async () => {
    const { browser, url } = ctx();
    const flooded = `flooded-${email}`;
    const send = async (route: string, body: unknown) => {
      const answer = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: answer.status, body: (await answer.json().catch(() => undefined)) as any };
    };
    assert.equal((await send('/auth/register', { email: flooded, password: PASSWORD })).status, 201);
    assert.equal((await send('/auth/login', { email: flooded, password: PASSWORD, deviceId: 'flood-home' })).status, 200);
    // New devices until the account's hour of prompts and mails (DEVICE_MAILS_PER_HOUR) is used up.
    for (let n = 1; ; n++) {
      assert.ok(n <= 100, 'the notices stop within 100 new devices');
      const answer = await send('/auth/login', { email: flooded, password: PASSWORD, deviceId: `flood-${n}` });
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      if (answer.body.error.notified === false) break;
    }
    const tablet = await device(browser);
    try {
      await tablet.page.goto(url);
      await submit(tablet.page, 'sign-in', flooded);
      await tablet.page.locator('#device-wait [role="status"]').filter({ hasText: 'No approval request or code was sent this time' }).waitFor();
      assert.equal(await tablet.page.evaluate(() => (globalThis as unknown as InPage).localStorage.getItem('authgate.session')), null, 'no session');
      assert.deepEqual(tablet.problems, [], 'no script error and no CSP violation');
    } finally {
      await tablet.context.close();
    }
  });

  test('second factor: enrol with the QR code, confirm, recovery codes; then sign in with a code', async () => {
    const { browser, url } = ctx();
    const { context, page, problems } = await device(browser);
    try {
      const mfaEmail = `totp-${email}`;
      await page.goto(url);
      await submit(page, 'sign-up', mfaEmail);
      await signedIn(page, mfaEmail);
      await page.locator('#mfa-state').filter({ hasText: 'Off' }).waitFor();
      await page.locator('#mfa-start').click();
      // The current password first: a wrong one is said in words, the right one leads to the QR code.
      const password = page.locator('#mfa-password');
      await password.getByLabel('Current password').fill('not my password');
      await password.getByRole('button', { name: 'Continue' }).click();
      await password.getByRole('alert').filter({ hasText: 'not your current password' }).waitFor();
      await password.getByLabel('Current password').fill(PASSWORD);
      await password.getByRole('button', { name: 'Continue' }).click();
      const qr = page.locator('#mfa-qr');
      await qr.waitFor();
      const drawn = await qr.evaluate((img) => {
        const drawn = img as unknown as { complete: boolean; naturalWidth: number };
        return drawn.complete && drawn.naturalWidth;
      });
      assert.ok(Number(drawn) >= 100, `the QR image is drawn (${drawn} px wide)`);
      const secret = ((await page.locator('#mfa-secret').textContent()) ?? '').trim();
      assert.match(secret, /^[A-Z2-7]{16,}$/, 'a base32 key to type');
      await shot(page, `${label}-12-totp-enrol`);

      const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
      // Start with at least 8 s left in the step, so the page and the worker agree on the step.
      const left = 30_000 - (Date.now() % 30_000);
      if (left < 8_000) await new Promise((r) => setTimeout(r, left + 100));
      await page.evaluate(() => {
        const g = globalThis as unknown as { authgate: { on(name: string, listener: () => void): void }; mfaEnabledHeard?: boolean };
        g.authgate.on('mfa.enabled', () => {
          g.mfaEnabledHeard = true;
        });
      });
      const confirm = page.locator('#mfa-confirm');
      await confirm.getByLabel('Code from your authenticator app').fill(totp.generate());
      await confirm.getByRole('button').click();
      const codes = page.locator('#recovery-codes li');
      await codes.first().waitFor();
      assert.equal(await codes.count(), 10, 'ten recovery codes');
      await page.locator('#mfa-state').filter({ hasText: 'On' }).waitFor();
      // The live mfa.enabled reaches this session too: the codes, shown once, stay on the screen.
      await page.waitForFunction(() => (globalThis as { mfaEnabledHeard?: boolean }).mfaEnabledHeard === true);
      assert.equal(await codes.count(), 10, 'the recovery codes are still shown after mfa.enabled');
      await shot(page, `${label}-13-totp-on`);

      await page.locator('#sign-out').click();
      await submit(page, 'sign-in', mfaEmail);
      const codeForm = page.locator('#mfa-code');
      await codeForm.waitFor();
      await shot(page, `${label}-14-totp-code-prompt`);
      // A code is accepted once per step: the confirm spent this step's, the next step's is within drift.
      await codeForm.getByLabel('Code from your authenticator app').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
      await codeForm.getByRole('button', { name: 'Verify' }).click();
      await signedIn(page, mfaEmail);
      await page.locator('#mfa-state').filter({ hasText: 'On' }).waitFor();
      await inTrail(page, 'login.mfa_required');
      assert.deepEqual(problems, [], 'no script error and no CSP violation');
    } finally {
      await context.close();
    }
  });

  test('the event trail lists the account activity, newest first', async () => {
    const { browser, url } = ctx();
    const { context, page, problems } = await device(browser, laptopId);
    try {
      await page.goto(url);
      await submit(page, 'sign-in', email);
      await signedIn(page, email);
      await inTrail(page, 'session.revoked');
      // This sign-in is the newest event once the trail has it (written in batches).
      const typesNow = () => page.locator('#events li').evaluateAll((items) => items.map((li) => li.getAttribute('data-type')));
      for (let i = 0; i < 15 && (await typesNow())[0] !== 'login.succeeded'; i++) {
        await page.locator('#events-refresh').click();
        await new Promise((r) => setTimeout(r, 500));
      }
      const types = await typesNow();
      assert.equal(types[0], 'login.succeeded', 'newest first');
      assert.equal(types.at(-1), 'register', 'oldest last');
      for (const type of ['logout', 'login.failed', 'session.revoked', 'device.approval_requested', 'device.approved', 'device.denied'])
        assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
      await page.locator('#events').screenshot({ path: path.join(ARTIFACTS, `${label}-15-event-trail.png`) });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('two tabs of one browser share the session and spend its refresh token once', async () => {
    const { browser, url } = ctx();
    const { context, page: first, problems } = await device(browser);
    try {
      const tabsEmail = `tabs-${email}`;
      await first.goto(url);
      await submit(first, 'sign-up', tabsEmail);
      await signedIn(first, tabsEmail);
      const second = await context.newPage();
      const secondProblems = watch(second);
      await second.goto(url);
      await signedIn(second, tabsEmail); // the stored session: no second sign-in
      const refreshFrames: string[] = [];
      for (const page of [first, second]) {
        page.on('websocket', (ws) =>
          ws.on('framesent', (frame) => String(frame.payload).includes('"type":"refresh"') && refreshFrames.push(String(frame.payload))),
        );
        if (process.env.DEBUG_PAGE)
          page.on('websocket', (ws) => {
            ws.on('framesent', (f) => console.log(page === first ? 'T1 >' : 'T2 >', String(f.payload).slice(0, 120)));
            ws.on('framereceived', (f) => console.log(page === first ? 'T1 <' : 'T2 <', String(f.payload).slice(0, 120)));
          });
        page.on('request', (request) => request.url().endsWith('/auth/refresh') && refreshFrames.push(request.url()));
      }
      // The sockets were opened before the listeners: reload both so that their frames are seen.
      await Promise.all([first.reload(), second.reload()]);
      await Promise.all([signedIn(first, tabsEmail), signedIn(second, tabsEmail)]);
      await Promise.all([first, second].map((p) => p.locator('#link[data-state="open"]').waitFor()));
      const refreshIn = (page: Page) =>
        page.evaluate(() =>
          (globalThis as unknown as { authgate: { refresh(): Promise<{ refreshToken: string }> } }).authgate.refresh().then((s) => s.refreshToken),
        );
      const [a, b] = await Promise.all([refreshIn(first), refreshIn(second)]);
      const spent = refreshFrames.filter((f) => f.startsWith('{')).map((f) => (JSON.parse(f) as { refreshToken: string }).refreshToken);
      if (a === b) {
        assert.equal(refreshFrames.length, 1, 'one refresh request between the two tabs (Web Locks)');
      } else {
        // On a loaded machine the second tab may ask only after the first tab's refresh has ended:
        // it then rotates the pair the first tab got, once more. No token is spent twice either way.
        assert.equal(spent.length, 2, `two refreshes, each over the socket: ${refreshFrames.length} requests`);
        assert.notEqual(spent[0], spent[1], 'no refresh token spent twice');
        assert.ok([a, b].includes(spent[1]!), 'the later refresh spends the pair the earlier one got');
      }
      // REFRESH_GRACE_MS is 0: had the old token been spent twice, the session would be revoked now.
      const verified = await first.evaluate(() =>
        (globalThis as unknown as { authgate: { verify(): Promise<{ sid: string }> } }).authgate.verify().then((v) => v.sid),
      );
      assert.ok(verified);
      assert.deepEqual([...problems, ...secondProblems], []);
    } finally {
      await context.close();
    }
  });
}
