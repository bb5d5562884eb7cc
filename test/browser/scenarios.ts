import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, device, shot, watch } from './support.ts';

const PASSWORD = 'correct horse battery staple';

/** Fills and sends the sign-up or sign-in form of the signed-out screen. */
async function submit(page: Page, formId: 'sign-up' | 'sign-in', email: string, password = PASSWORD): Promise<void> {
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

async function signedIn(page: Page, email: string): Promise<void> {
  await page
    .locator('#who')
    .filter({ hasText: `Signed in as ${email}` })
    .waitFor();
  await page.locator('#sessions li').first().waitFor();
}

/** The page's scenarios against a gateway at `url()`; `label` prefixes the screenshots. */
export function pageScenarios(ctx: () => { browser: Browser; url: string }, label: string): void {
  const email = `page-${label}-${Date.now().toString(36)}@example.com`;

  test('sign up, sign out, sign in again; a wrong password is told in words', async () => {
    const { browser, url } = ctx();
    const { context, page, problems } = await device(browser);
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

  test('two devices: a new sign-in appears live in the sessions list; revoking it signs that device out live', async () => {
    const { browser, url } = ctx();
    const laptop = await device(browser);
    const phone = await device(browser);
    try {
      await laptop.page.goto(url);
      await submit(laptop.page, 'sign-in', email);
      await signedIn(laptop.page, email);
      await laptop.page.locator('#link[data-state="open"]').waitFor();
      const before = await laptop.page.locator('#sessions li').count();

      await phone.page.goto(url);
      await submit(phone.page, 'sign-in', email);
      await signedIn(phone.page, email);
      // The laptop's list grows by the phone's session without a reload (security.new_sign_in).
      await laptop.page.locator('#sessions li').nth(before).waitFor();
      const phoneSession = await phone.page.evaluate(
        () => (globalThis as unknown as { authgate: { current: { sessionId: string } } }).authgate.current.sessionId,
      );
      const row = laptop.page.locator(`#sessions li[data-session="${phoneSession}"]`);
      await row.waitFor();
      await shot(laptop.page, `${label}-04-sessions-two-devices`);
      await phone.page.locator('#link[data-state="open"]').waitFor();

      await row.getByRole('button', { name: /Revoke/ }).click();
      // The phone is told at once, over its socket, without a reload or a request of its own.
      const notice = phone.page.locator('#signed-out-notice');
      await notice.filter({ hasText: 'ended from another of your devices' }).waitFor({ timeout: 10_000 });
      await shot(phone.page, `${label}-05-revoked-live`);
      await row.waitFor({ state: 'detached' });
      await inTrail(laptop.page, 'session.revoked');
      await shot(laptop.page, `${label}-06-after-revoke`);
      assert.deepEqual([...laptop.problems, ...phone.problems], [], 'no script error and no CSP violation');
    } finally {
      await laptop.context.close();
      await phone.context.close();
    }
  });

  test('the event trail lists the account activity, newest first', async () => {
    const { browser, url } = ctx();
    const { context, page, problems } = await device(browser);
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
      for (const type of ['logout', 'login.failed', 'session.revoked']) assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
      await page.locator('#events').screenshot({ path: path.join(ARTIFACTS, `${label}-07-event-trail.png`) });
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
      assert.equal(a, b, 'both tabs hold the same new pair');
      assert.equal(refreshFrames.length, 1, 'one refresh request between the two tabs (Web Locks)');
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

  test('load time of the page on loopback (navigation to the load event, median of 15), against a bare JSON answer', async (t) => {
    const { browser, url } = ctx();
    const loadTime = async (target: string) => {
      // A fresh context each time: nothing cached, as a first visit.
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(target, { waitUntil: 'load' });
      const ms = await page.evaluate(
        () => (performance as unknown as { getEntriesByType(type: string): { loadEventEnd: number }[] }).getEntriesByType('navigation')[0]?.loadEventEnd ?? 0,
      );
      await context.close();
      return ms;
    };
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;
    const pageTimes: number[] = [];
    const baseTimes: number[] = [];
    // Interleaved, so that the load of the machine weighs on both alike: the baseline is GET /health,
    // a JSON answer of the same edge with nothing to fetch or run after it.
    for (let i = 0; i < 15; i++) {
      pageTimes.push(await loadTime(url));
      baseTimes.push(await loadTime(`${url}/health`));
    }
    const [pageMedian, baseMedian] = [median(pageTimes), median(baseTimes)];
    t.diagnostic(
      `page load on loopback (${label}): median ${pageMedian.toFixed(1)} ms; GET /health in the same run ${baseMedian.toFixed(1)} ms; ratio ${(pageMedian / baseMedian).toFixed(2)} (15 cold loads each)`,
    );
    writeFileSync(path.join(ARTIFACTS, `${label}-load-time.json`), JSON.stringify({ pageMedian, baseMedian, pageTimes, baseTimes }, null, 2));
    assert.ok(pageTimes.every((ms) => ms > 0) && baseTimes.every((ms) => ms > 0));
  });
}
