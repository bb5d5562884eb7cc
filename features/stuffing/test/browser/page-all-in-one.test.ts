import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort } from '../../../../scripts/cluster/ports.ts';
import { launchChromium } from '../../../../test/browser/support.ts';
import { startProcess, type RunningProcess } from '../../../../test/helpers/processes.ts';
import { tempDir } from '../../../../test/helpers/services.ts';
import { stuffingPageScenarios } from './scenarios.ts';

/** The page of the all-in-one gateway during a credential stuffing wave. */
describe('credential stuffing in the page, in a browser: all-in-one', () => {
  const data = tempDir('stuffing-page-aio');
  let all: RunningProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let url: string;

  before(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    [all, { browser, close: closeBrowser }] = await Promise.all([
      startProcess('all', { PORT: String(port), PUBLIC_URL: url, DATA_DIR: data.dir, BCRYPT_COST: '4', STUFFING_DIFFICULTY: '14', STUFFING_COOLDOWN_S: '30' }),
      launchChromium(),
    ]);
  });

  after(async () => {
    await closeBrowser?.();
    await all?.stop();
    data.remove();
  });

  stuffingPageScenarios(() => ({ browser, url, waveUrl: `http://127.0.0.1:${new URL(url).port}` }), 'aio', 400_000);
});
