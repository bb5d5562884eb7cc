import { after, before, describe } from 'node:test';
import type { LiveDeployment } from './helpers/live-scenarios.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { tempDir } from './helpers/services.ts';
import { SOCKET_EXPIRY_TTL_S, socketExpiryScenarios } from './helpers/socket-expiry-scenarios.ts';

/** A socket's authority ends with its access token, in the all-in-one shape (in-process presence and events). */
describe('socket authentication ends with its access token: all-in-one', () => {
  const data = tempDir('expiry-aio');
  let all: RunningProcess;
  let deployment: LiveDeployment;

  before(async () => {
    all = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      ACCESS_TOKEN_TTL_S: String(SOCKET_EXPIRY_TTL_S),
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      // One account signs in from several devices here; new-device approval has its own tests.
      DEVICE_VERIFICATION: 'off',
    });
    const edge = { url: all.url, wsUrl: all.wsUrl, nodeId: all.nodeId };
    deployment = { a: edge, b: edge, apiUrl: all.url, adminToken: () => Promise.reject(new Error('no administrator in these scenarios')) };
  });

  after(async () => {
    await all?.stop();
    data.remove();
  });

  socketExpiryScenarios(() => deployment);
});
