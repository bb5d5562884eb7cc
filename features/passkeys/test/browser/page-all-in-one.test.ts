import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort } from '../../../../scripts/cluster/ports.ts';
import { launchChromium } from '../../../../test/browser/support.ts';
import { startProcess, type RunningProcess } from '../../../../test/helpers/processes.ts';
import { tempDir } from '../../../../test/helpers/services.ts';
import { passkeyPageScenarios } from './scenarios.ts';

/** Passkeys through the page of the all-in-one gateway, its PUBLIC_URL a localhost origin. */
describe('passkeys in the page, in a browser: all-in-one', () => {
  const data = tempDir('passkeys-page-aio');
  let all: RunningProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let url: string;

  before(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    [all, { browser, close: closeBrowser }] = await Promise.all([
      startProcess('all', {
        PORT: String(port),
        PUBLIC_URL: url,
        DATA_DIR: data.dir,
        BCRYPT_COST: '4',
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

  passkeyPageScenarios(() => ({ browser, url }), 'aio');
});
