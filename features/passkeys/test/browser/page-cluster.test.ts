import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort } from '../../../../scripts/cluster/ports.ts';
import { launchChromium } from '../../../../test/browser/support.ts';
import { startTestCluster } from '../../../../test/cluster/support.ts';
import { passkeyPageScenarios } from './scenarios.ts';

/**
 * Passkeys through the page behind nginx, in front of two edges, a worker and the account API. nginx's
 * port is chosen first: its localhost origin is PUBLIC_URL, the origin every ceremony is checked against.
 */
describe('passkeys in the page, in a browser: cluster behind nginx', () => {
  let cleanup: () => Promise<void>;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let url: string;

  before(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    let started;
    [started, { browser, close: closeBrowser }] = await Promise.all([
      startTestCluster('passkeys-page', { edges: 2, workers: 1, port, env: { PUBLIC_URL: url } }),
      launchChromium(),
    ]);
    cleanup = started.cleanup;
  });

  after(async () => {
    await closeBrowser?.();
    await cleanup?.();
  });

  passkeyPageScenarios(() => ({ browser, url }), 'cluster');
});
