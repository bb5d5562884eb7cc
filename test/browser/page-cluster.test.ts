import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Cluster } from '../../scripts/cluster/index.ts';
import { startTestCluster } from '../cluster/support.ts';
import { pageScenarios } from './scenarios.ts';
import { launchChromium } from './support.ts';

/**
 * The page through nginx in front of two edges, a worker and the account API: the two devices of a
 * scenario may hold sockets on different edges, so their live events cross the cluster.
 */
describe('the page in a browser: cluster behind nginx', () => {
  let cluster: Cluster;
  let cleanup: () => Promise<void>;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  before(async () => {
    [{ cluster, cleanup }, { browser, close: closeBrowser }] = await Promise.all([
      startTestCluster('page', { edges: 2, workers: 1, env: { REFRESH_GRACE_MS: '0' } }),
      launchChromium(),
    ]);
  });

  after(async () => {
    await closeBrowser?.();
    await cleanup?.();
  });

  pageScenarios(() => ({ browser, url: cluster.url }), 'cluster');
});
