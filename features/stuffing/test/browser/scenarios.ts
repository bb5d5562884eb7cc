import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { signedIn, submit } from '../../../../test/browser/scenarios.ts';
import { device, shot } from '../../../../test/browser/support.ts';
import { StuffingWave } from '../support/wave.ts';

/** What the test reads in the page (the Node typings have no DOM). */
interface InPage {
  authgate: { on(name: string, listener: (data: Record<string, unknown>) => void): () => void };
  document: { getElementById(id: string): { textContent: string | null; hidden: boolean } | null };
  seen: Array<{ state: string; via: string; status: string | null }>;
}

/**
 * The page during a credential stuffing wave, in Debian's chromium: a person signing up and in from a
 * new browser is asked a proof of work, which the page solves by itself in a Web Worker while it says
 * "Checking your browser…", and is signed in; no script error, no CSP violation (the worker is a file
 * of the page's own origin). `waveUrl`: where the bots send (the gateway's own address); `firstAddress`
 * keeps each shape's bots on addresses of their own.
 */
export function stuffingPageScenarios(ctx: () => { browser: Browser; url: string; waveUrl: string }, label: string, firstAddress: number): void {
  test('during a wave, signing up and in from a new browser solves the challenge in a Web Worker, says so, and signs in', async () => {
    const { browser, url, waveUrl } = ctx();
    const wave = new StuffingWave([waveUrl], {
      ratePerS: 25,
      emails: (i) => `leaked-${i}@example.test`,
      firstAddress,
      maxSeconds: 60,
    });
    wave.start();
    const { context, page, problems } = await device(browser);
    try {
      const start = Date.now();
      while (wave.stats.firstChallengeAt === undefined) {
        assert.ok(Date.now() - start < 10_000, 'the wave was detected');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await page.goto(url);
      await page.locator('#sign-up').waitFor();
      await page.evaluate(() => {
        const w = globalThis as unknown as InPage;
        w.seen = [];
        w.authgate.on('challenge', (p) => {
          const status = w.document.getElementById('challenge-status');
          w.seen.push({ state: String(p.state), via: String(p.via), status: status && !status.hidden ? status.textContent : null });
        });
      });
      const email = `stuffing-page-${label}-${Date.now().toString(36)}@example.com`;
      await submit(page, 'sign-up', email);
      await signedIn(page, email);
      const seen = await page.evaluate(() => (globalThis as unknown as InPage).seen);
      assert.deepEqual(
        seen.map((s) => `${s.state}:${s.via}`),
        ['solving:worker', 'solved:worker'],
      );
      assert.match(seen[0]!.status ?? '', /Checking your browser/, 'the page says what it is doing while it solves');
      assert.equal(seen[1]!.status, null, 'and stops saying it once solved');
      await shot(page, `stuffing-${label}-01-signed-in-after-challenge`);
      assert.deepEqual(problems, [], 'no script error and no CSP violation');
    } finally {
      await context.close();
      await wave.stop();
    }
  });
}
