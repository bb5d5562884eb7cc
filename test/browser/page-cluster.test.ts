import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Cluster } from '../../scripts/cluster/index.ts';
import { startTestCluster } from '../cluster/support.ts';
import { SmtpMailbox } from '../helpers/mailbox.ts';
import { type RunningProcess, startProcess } from '../helpers/processes.ts';
import { AMQP_URL } from '../helpers/services.ts';
import { mailLinkScenarios } from './mail-link-scenarios.ts';
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
  let mailer: RunningProcess;

  before(async () => {
    [{ cluster, cleanup }, { browser, close: closeBrowser }, mailbox] = await Promise.all([
      // No mailer of the cluster's own: the one below sends to the SMTP server of this test.
      startTestCluster('page', { edges: 2, workers: 1, mailer: false, env: { REFRESH_GRACE_MS: '0' } }),
      launchChromium(),
      SmtpMailbox.start(),
    ]);
    // The mailer of the cluster's namespace, sending the new-device codes and the links to a real SMTP
    // server here; the links lead to nginx, the cluster's one origin.
    mailer = await startProcess('mailer', { AMQP_URL, NAMESPACE: cluster.namespace, SMTP_URL: mailbox.url, PUBLIC_URL: cluster.url });
  });

  after(async () => {
    await mailer?.stop();
    await mailbox?.close();
    await closeBrowser?.();
    await cleanup?.();
  });

  pageScenarios(() => ({ browser, url: cluster.url, mailbox }), 'cluster');
  mailLinkScenarios(() => ({ browser, url: cluster.url, mailbox }), 'cluster');
});
