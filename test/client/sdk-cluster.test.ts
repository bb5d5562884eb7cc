import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Cluster } from '../../scripts/cluster/index.ts';
import { startTestCluster } from '../cluster/support.ts';
import { SmtpMailbox } from '../helpers/mailbox.ts';
import { type SdkDeployment, sdkScenarios } from './scenarios.ts';
import { nextEvent, PASSWORD, uniqueEmail, wiredClient } from './support.ts';

/**
 * The SDK against the distributed shape through its one public origin: nginx in front of an edge, a
 * worker and the account API, over the machine's RabbitMQ, Redis and PostgreSQL.
 */
describe('client SDK: cluster (nginx, edge, worker, account API)', () => {
  let cluster: Cluster;
  let cleanup: () => Promise<void>;
  let deployment: SdkDeployment;

  let mailbox: SmtpMailbox;

  before(async () => {
    // The cluster's own mailer sends the new-device codes to a real SMTP server in this process.
    mailbox = await SmtpMailbox.start();
    ({ cluster, cleanup } = await startTestCluster('sdk', {
      edges: 1,
      workers: 1,
      env: { REFRESH_GRACE_MS: '0', WS_MAX_MESSAGES_PER_10S: '1000', SMTP_URL: mailbox.url },
    }));
    deployment = { url: cluster.url, mailbox };
  });

  after(async () => {
    await mailbox?.close();
    await cleanup?.();
  });

  sdkScenarios(() => deployment);

  test('the edge drops the socket: the client reconnects with backoff, authenticates again and gets live events', async () => {
    const { client, wire } = wiredClient({ baseUrl: cluster.url, transport: 'ws' });
    // The same device as `client` (a second session of it): no new-device approval in this scenario.
    const { client: other } = wiredClient({ baseUrl: cluster.url, transport: 'rest', live: false, deviceId: client.deviceId });
    try {
      const email = uniqueEmail('sdk-reconnect');
      await client.register(email, PASSWORD);
      const outcome = await client.login(email, PASSWORD);
      assert.equal(outcome.kind, 'signed_in');
      await client.connect();
      const authenticatedBefore = wire.count('authenticate');

      const states: string[] = [];
      client.on('connection', ({ state }) => states.push(state));
      const reconnecting = nextEvent(client, 'connection', 10_000, ({ state }) => state === 'reconnecting');
      // The edge stops (SIGTERM: it closes its sockets with 1001) and comes back on the same port.
      await cluster.member('edge-1').process.stop('SIGTERM');
      await reconnecting;
      const reopened = nextEvent(client, 'connection', 60_000, ({ state }) => state === 'open');
      await cluster.restart('edge-1');
      await reopened;
      await client.connect();
      assert.ok(wire.count('authenticate') > authenticatedBefore, 'the new connection authenticated as the session');
      assert.ok(states.filter((s) => s === 'reconnecting').length >= 1);

      // Live again: another sign-in to the account reaches this client on its new connection.
      const announced = nextEvent(client, 'security.new_sign_in', 15_000);
      const second = await other.login(email, PASSWORD);
      assert.equal(second.kind, 'signed_in');
      assert.equal((await announced).sessionId, second.kind === 'signed_in' ? second.session.sessionId : '');
      assert.equal((await client.sessions()).length, 2, 'session commands work over the new connection');
    } finally {
      client.close();
      other.close();
    }
  });
});
