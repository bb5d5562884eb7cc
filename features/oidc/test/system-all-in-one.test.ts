import path from 'node:path';
import { after, before, describe } from 'node:test';
import { freePort } from '../../../scripts/cluster/ports.ts';
import { OutboxMailbox } from '../../../test/helpers/mailbox.ts';
import { type RunningProcess, startProcess } from '../../../test/helpers/processes.ts';
import { tempDir } from '../../../test/helpers/services.ts';
import { launchChromium } from '../../../test/browser/support.ts';
import { oidcScenarios } from './scenarios.ts';
import type { OidcDeployment } from './support/deployment.ts';
import { oidcEnv } from './support/deployment.ts';
import { RelyingPartyServer } from './support/rp.ts';

/** The OpenID provider in the all-in-one shape: in-process storage, PGlite for the clients, mail as .eml files. */
describe('OpenID provider: all-in-one', () => {
  const data = tempDir('oidc-aio');
  let all: RunningProcess | undefined;
  let rp: RelyingPartyServer | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  let deployment: OidcDeployment;

  before(async () => {
    rp = await RelyingPartyServer.start();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const adminEmail = `oidc-admin-aio-${Date.now().toString(36)}@example.com`;
    const [started, chromium] = await Promise.all([
      startProcess('all', { ...oidcEnv(rp.url, adminEmail), PORT: String(port), PUBLIC_URL: url, DATA_DIR: data.dir }),
      launchChromium(),
    ]);
    all = started;
    closeBrowser = chromium.close;
    deployment = { label: 'aio', url, browser: chromium.browser, rp, mailbox: new OutboxMailbox(path.join(data.dir, 'outbox')), adminEmail, apis: [] };
  });

  after(async () => {
    await closeBrowser?.();
    await all?.stop();
    await rp?.close();
    data.remove();
  });

  oidcScenarios(() => deployment);
});
