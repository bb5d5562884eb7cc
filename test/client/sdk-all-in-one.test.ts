import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { OutboxMailbox } from '../helpers/mailbox.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/services.ts';
import { type SdkDeployment, sdkScenarios } from './scenarios.ts';
import { nextEvent, PASSWORD, uniqueEmail, wiredClient } from './support.ts';
import type { AuthgateClient, Session } from '@authgate/client';

interface OwnRefresh {
  client: AuthgateClient;
  first: Session;
  /** The session the client's own refresh brought, when it came, and the refreshes sent by then. */
  refreshed: Session;
  refreshedAt: number;
  refreshesThen: number;
}

/**
 * A client signed in over the WebSocket, until its own refresh: 30 s tokens are refreshed a third of
 * their lifetime before expiry, about 20 s after sign-in. That wait is started with the deployment and
 * runs while the scenarios do; what the client saw is taken as it was when the refresh came.
 */
async function watchOwnRefresh(url: string): Promise<OwnRefresh> {
  const { client, wire } = wiredClient({ baseUrl: url, transport: 'ws' });
  try {
    const email = uniqueEmail('sdk-timer');
    await client.register(email, PASSWORD);
    const outcome = await client.login(email, PASSWORD);
    assert.equal(outcome.kind, 'signed_in');
    const first = outcome.kind === 'signed_in' ? outcome.session : assert.fail();
    const { session } = await nextEvent(client, 'tokens', 28_000);
    return { client, first, refreshed: session, refreshedAt: Date.now(), refreshesThen: wire.count('refresh') };
  } catch (err) {
    client.close();
    throw err;
  }
}

/** The SDK against the all-in-one shape: one process, in-process queue, bus and embedded database. */
describe('client SDK: all-in-one', () => {
  const data = tempDir('sdk-aio');
  let all: RunningProcess;
  let deployment: SdkDeployment;
  let ownRefresh: Promise<OwnRefresh>;

  before(async () => {
    all = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      REFRESH_GRACE_MS: '0',
      // The shortest lifetime the config allows: the client's own refresh before expiry is seen in 20 s.
      ACCESS_TOKEN_TTL_S: '30',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
    });
    // No SMTP_URL: each mail (the new-device codes) is an .eml file in DATA_DIR/outbox.
    deployment = { url: all.url, mailbox: new OutboxMailbox(path.join(data.dir, 'outbox')) };
    ownRefresh = watchOwnRefresh(all.url);
    ownRefresh.catch(() => {}); // its case reports a failure; until then it is not unhandled
  });

  after(async () => {
    (await ownRefresh?.catch(() => undefined))?.client.close();
    await all?.stop();
    data.remove();
  });

  sdkScenarios(() => deployment);

  test('the client refreshes by itself before the access token expires, once', async () => {
    const { client, first, refreshed, refreshedAt, refreshesThen } = await ownRefresh;
    assert.ok(refreshed.expiresAt - first.expiresAt >= 15_000, 'a new access token, valid for longer');
    assert.ok(first.expiresAt - refreshedAt > 0, 'before the old one expired');
    assert.equal(refreshesThen, 1);
    assert.equal((await client.verify()).sid, first.sessionId);
  });
});
