import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { liveScenarios, type LiveDeployment } from './helpers/live-scenarios.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { tempDir } from './helpers/services.ts';
import { signTestToken } from './helpers/tokens.ts';

/** The same live scenarios in the all-in-one shape: in-process presence, events, sessions and queue. */
describe('live account events and sessions: all-in-one', () => {
  const data = tempDir('live-aio');
  const adminId = randomUUID();
  let all: RunningProcess;
  let deployment: LiveDeployment;

  before(async () => {
    all = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      REFRESH_GRACE_MS: '0',
      ADMIN_USER_IDS: adminId,
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      // These scenarios sign one account in from several devices; new-device approval has its own tests (devices-*.test.ts).
      DEVICE_VERIFICATION: 'off',
    });
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    const edge = { url: all.url, wsUrl: all.wsUrl, nodeId: all.nodeId };
    deployment = {
      a: edge,
      b: edge,
      apiUrl: all.url,
      adminToken: () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId }),
    };
  });

  after(async () => {
    await all?.stop();
    data.remove();
  });

  liveScenarios(() => deployment);
});
