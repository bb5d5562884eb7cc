import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** What the tests read in the page (the Node typings have no DOM). */
export interface InPage {
  localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

/** Screenshots of each step (git-ignored); the main ones are copied to docs/screenshots/ for docs/page.md. */
export const ARTIFACTS = path.resolve('test-artifacts/browser');

/**
 * Debian's chromium, headless, with nothing it would fetch or sync on its own. playwright gives it a
 * fresh profile directory of its own (and removes it on close).
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
    },
  };
}

/**
 * A browser context (one "device": its own storage) whose page errors and CSP violations are kept.
 * `deviceId`: the id the page's client keeps in localStorage, set before the page's first script, so
 * that two contexts can be the same device (a known one, which signs in without an approval).
 */
export async function device(browser: Browser, deviceId?: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  if (deviceId) {
    await context.addInitScript((id) => {
      if (!(globalThis as unknown as InPage).localStorage.getItem('authgate.deviceId'))
        (globalThis as unknown as InPage).localStorage.setItem('authgate.deviceId', id);
    }, deviceId);
  }
  const page = await context.newPage();
  const problems = watch(page);
  return { context, page, problems };
}

/** Console errors, uncaught exceptions and Content-Security-Policy violations of a page. */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    // A refused request (401, 409) is logged by Chromium as a failed resource: the page expects those.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  return problems;
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
