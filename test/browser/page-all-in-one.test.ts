import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import path from 'node:path';
import { freePort } from '../../scripts/cluster/ports.ts';
import { OutboxMailbox } from '../helpers/mailbox.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/services.ts';
import { mailLinkScenarios } from './mail-link-scenarios.ts';
import { pageScenarios } from './scenarios.ts';
import { launchChromium } from './support.ts';

/** The page at `/` of the all-in-one gateway, in Debian's chromium driven by playwright-core. */
describe('the page in a browser: all-in-one', () => {
  const data = tempDir('page-aio');
  let all: RunningProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  before(async () => {
    // The links of the mails lead to this process: PUBLIC_URL is its own address, so its port is chosen first.
    const port = await freePort();
    [all, { browser, close: closeBrowser }] = await Promise.all([
      startProcess('all', {
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: data.dir,
        BCRYPT_COST: '4',
        REFRESH_GRACE_MS: '0',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        LOGIN_FREE_FAILURES: '1000',
      }),
      launchChromium(),
    ]);
  });

  after(async () => {
    await closeBrowser?.();
    await all?.stop();
    data.remove();
  });

  // No SMTP_URL: the mailer writes each mail (the new-device codes, the links) as an .eml file here.
  const mailbox = new OutboxMailbox(path.join(data.dir, 'outbox'));
  pageScenarios(() => ({ browser, url: all.url, mailbox }), 'aio');
  mailLinkScenarios(() => ({ browser, url: all.url, mailbox }), 'aio');
});
