import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { OutboxMailbox } from '../helpers/mailbox.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/services.ts';
import { type SdkDeployment, sdkScenarios } from './scenarios.ts';
import { nextEvent, PASSWORD, uniqueEmail, wiredClient } from './support.ts';

/** The SDK against the all-in-one shape: one process, in-process queue, bus and embedded database. */
describe('client SDK: all-in-one', () => {
  const data = tempDir('sdk-aio');
  let all: RunningProcess;
  let deployment: SdkDeployment;

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
  });

  after(async () => {
    await all?.stop();
    data.remove();
  });

  sdkScenarios(() => deployment);

  test('the client refreshes by itself before the access token expires, once', async () => {
    const { client, wire } = wiredClient({ baseUrl: deployment.url, transport: 'ws' });
    try {
      const email = uniqueEmail('sdk-timer');
      await client.register(email, PASSWORD);
      const outcome = await client.login(email, PASSWORD);
      assert.equal(outcome.kind, 'signed_in');
      const first = outcome.kind === 'signed_in' ? outcome.session : assert.fail();
      // 30 s tokens: refreshed a third of their lifetime before expiry, about 20 s after sign-in.
      const { session } = await nextEvent(client, 'tokens', 28_000);
      assert.ok(session.expiresAt - first.expiresAt >= 15_000, 'a new access token, valid for longer');
      assert.ok(first.expiresAt - Date.now() > 0, 'before the old one expired');
      assert.equal(wire.count('refresh'), 1);
      assert.equal((await client.verify()).sid, first.sessionId);
    } finally {
      client.close();
    }
  });
});
