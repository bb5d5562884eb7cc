import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { tempDir } from '../../../test/helpers/services.ts';
import { signTestToken } from '../../../test/helpers/tokens.ts';
import { BREACHED_PASSWORD, type StuffingDeployment, stuffingScenarios } from './scenarios.ts';
import { RangeServer } from './support/range-server.ts';

/**
 * Credential stuffing in the all-in-one shape: the window and the state in process, shared by its edge
 * and worker. The detection settings are the defaults; the difficulty and cooldown are lowered so that
 * the test solves quickly and sees the end.
 */
describe('credential stuffing: all-in-one', () => {
  const data = tempDir('stuffing-aio');
  const adminId = randomUUID();
  let all: RunningProcess;
  let range: RangeServer;
  let deployment: StuffingDeployment;

  before(async () => {
    range = await RangeServer.start([BREACHED_PASSWORD]);
    all = await startProcess('all', {
      PASSWORD_BREACH_RANGE_URL: range.url,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'debug',
      ADMIN_USER_IDS: adminId,
      DEVICE_VERIFICATION: 'on',
      STUFFING_DIFFICULTY: '8',
      STUFFING_COOLDOWN_S: '4',
      PASSWORD_WORK_PER_SOURCE: '4',
    });
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    const edge = { url: all.url, wsUrl: all.wsUrl };
    deployment = {
      a: edge,
      b: edge,
      apiUrl: all.url,
      adminToken: () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId }),
      difficulty: 8,
      cooldownS: 4,
      firstAddress: 0,
      logLines: () => all.lines.map((line) => JSON.stringify(line)),
      range,
      workerMetrics: [`http://127.0.0.1:${all.metricsPort}/metrics`],
    };
  });

  after(async () => {
    await all?.stop();
    await range?.close();
    data.remove();
  });

  stuffingScenarios(() => deployment);
});
