import { after, before, describe } from 'node:test';
import { poisonScenarios, type PoisonDeployment } from './helpers/poison-scenarios.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { tempDir } from './helpers/services.ts';

/** Text PostgreSQL cannot store, on every route of the all-in-one process (in-process bus, PGlite). */
describe('unstorable text refused, the audit trail never stopped: all-in-one', () => {
  const data = tempDir('poison-aio');
  let proc: RunningProcess;
  let deployment: PoisonDeployment;

  before(async () => {
    proc = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      CHECK_EMAIL_PER_MINUTE: '1000',
      DEVICE_VERIFICATION: 'off',
    });
    deployment = { url: proc.url, wsUrl: proc.wsUrl, apiUrl: proc.url };
  });

  after(async () => {
    await proc?.stop();
    data.remove();
  });

  poisonScenarios(() => deployment, { bus: false });
});
