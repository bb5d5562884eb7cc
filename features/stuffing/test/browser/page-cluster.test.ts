import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort } from '../../../../scripts/cluster/ports.ts';
import { launchChromium } from '../../../../test/browser/support.ts';
import { startTestCluster } from '../../../../test/cluster/support.ts';
import { stuffingPageScenarios } from './scenarios.ts';

/**
 * The page during a credential stuffing wave behind nginx, in front of two edges and a worker over
 * RabbitMQ and Redis: the bots go through nginx too, each from its own address, which nginx forwards.
 */
describe('credential stuffing in the page, in a browser: cluster behind nginx', () => {
  let cleanup: () => Promise<void>;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let url: string;

  before(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    let started;
    [started, { browser, close: closeBrowser }] = await Promise.all([
      startTestCluster('stuffing-page', {
        edges: 2,
        workers: 1,
        port,
        env: { PUBLIC_URL: url, STUFFING_DIFFICULTY: '14', STUFFING_COOLDOWN_S: '30', PASSWORD_WORK_PER_SOURCE: '1', OVERLOAD_ADMIT_SHARE: '0.5' },
      }),
      launchChromium(),
    ]);
    cleanup = started.cleanup;
  });

  after(async () => {
    await closeBrowser?.();
    await cleanup?.();
  });

  stuffingPageScenarios(() => ({ browser, url, waveUrl: `http://127.0.0.1:${new URL(url).port}` }), 'cluster', 500_000);
});
