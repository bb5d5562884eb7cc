import { after, before, describe } from 'node:test';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/services.ts';
import { type SdkDeployment, sdkScenarios } from './scenarios.ts';

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
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      PASSWORD_WORK_PER_SOURCE: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
    });
    deployment = { url: all.url };
  });

  after(async () => {
    await all?.stop();
    data.remove();
  });

  sdkScenarios(() => deployment);
});
