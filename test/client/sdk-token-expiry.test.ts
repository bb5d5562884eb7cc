import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Cluster } from '../../scripts/cluster/index.ts';
import { startTestCluster } from '../cluster/support.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/services.ts';
import { nextEvent, PASSWORD, uniqueEmail, wiredClient } from './support.ts';

/** Access tokens this short: the server ends a socket's authentication at their `exp` within the test. */
const TTL_S = 4;

const SETTINGS = {
  ACCESS_TOKEN_TTL_S: String(TTL_S),
  RATE_LIMIT_IP_PER_MINUTE: '100000',
  LOGIN_FREE_FAILURES: '1000',
  WS_MAX_MESSAGES_PER_10S: '1000',
};

function expOf(accessToken: string): number {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number }).exp;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A long-lived SDK user keeps its live events past its access token's expiry: the client refreshes
 * by itself and its socket carries on as the session with the new token (over the WebSocket, the
 * refresh binds it; over REST, the client sends `authenticate` with the new token).
 */
function tokenExpiryScenarios(url: () => string): void {
  for (const variant of [
    { name: 'WebSocket', options: { transport: 'ws' as const } },
    { name: 'REST with a live WebSocket', options: { transport: 'rest' as const, live: true } },
  ]) {
    test(`${variant.name}: live events still arrive after the access token has expired and been refreshed`, async () => {
      const { client, wire } = wiredClient({ baseUrl: url(), ...variant.options, refreshSkewMs: 1_000 });
      // The same device as `client` (a second session of it): no new-device approval here.
      const { client: other } = wiredClient({ baseUrl: url(), transport: 'rest', live: false, deviceId: client.deviceId });
      try {
        const email = uniqueEmail('sdk-expiry');
        await client.register(email, PASSWORD);
        const outcome = await client.login(email, PASSWORD);
        const first = outcome.kind === 'signed_in' ? outcome.session : assert.fail(JSON.stringify(outcome));
        await client.connect();
        const authenticatedBefore = wire.count('authenticate');

        // The client refreshes by itself before the first token's exp; the test waits past that exp.
        await nextEvent(client, 'tokens', TTL_S * 1000 + 5_000);
        const renewed = client.current ?? assert.fail('signed out');
        assert.notEqual(renewed.accessToken, first.accessToken);
        assert.ok(wire.count('refresh') >= 1);
        if (variant.options.transport === 'rest') {
          // The refresh went over HTTP: the socket is authenticated again with the new token, and answered.
          const accepted = () =>
            wire.frames
              .filter((f) => f.type === 'authenticate')
              .slice(authenticatedBefore)
              .some((f) => wire.results.some((r) => r.id === f.id && r.ok));
          await until('an authenticate sent and accepted after the refresh', accepted, 5_000);
        }
        const wait = expOf(first.accessToken) * 1000 + 300 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        assert.ok(expOf(first.accessToken) * 1000 < Date.now(), 'the first access token has expired');

        const announced = nextEvent(client, 'security.new_sign_in', 10_000);
        const second = await other.login(email, PASSWORD);
        const secondSession = second.kind === 'signed_in' ? second.session : assert.fail(JSON.stringify(second));
        assert.equal((await announced).sessionId, secondSession.sessionId);
        assert.equal(client.current?.sessionId, first.sessionId, 'still the same session');
      } finally {
        client.close();
        other.close();
      }
    });
  }
}

// The two variants, each with accounts and clients of its own, wait out their tokens' expiry side by side.
describe('client SDK across access-token expiry: all-in-one', { concurrency: true }, () => {
  const data = tempDir('sdk-expiry-aio');
  let all: RunningProcess;

  before(async () => {
    all = await startProcess('all', { DATA_DIR: data.dir, BCRYPT_COST: '4', ...SETTINGS });
  });

  after(async () => {
    await all?.stop();
    data.remove();
  });

  tokenExpiryScenarios(() => all.url);
});

describe('client SDK across access-token expiry: cluster (nginx, edge, worker, account API)', { concurrency: true }, () => {
  let cluster: Cluster;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ cluster, cleanup } = await startTestCluster('sdk-expiry', { edges: 1, workers: 1, mailer: false, env: SETTINGS }));
  });

  after(async () => {
    await cleanup?.();
  });

  tokenExpiryScenarios(() => cluster.url);
});
