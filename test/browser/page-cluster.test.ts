import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Cluster } from '../../scripts/cluster/index.ts';
import { startTestCluster } from '../cluster/support.ts';
import { SmtpMailbox } from '../helpers/mailbox.ts';
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
  let mailbox: SmtpMailbox;

  before(async () => {
    // The cluster's own mailer sends the new-device codes to a real SMTP server here.
    mailbox = await SmtpMailbox.start();
    [{ cluster, cleanup }, { browser, close: closeBrowser }] = await Promise.all([
      startTestCluster('page', { edges: 2, workers: 1, env: { REFRESH_GRACE_MS: '0', SMTP_URL: mailbox.url } }),
      launchChromium(),
    ]);
  });

  after(async () => {
    await mailbox?.close();
    await closeBrowser?.();
    await cleanup?.();
  });

  pageScenarios(() => ({ browser, url: cluster.url, mailbox }), 'cluster');
});
