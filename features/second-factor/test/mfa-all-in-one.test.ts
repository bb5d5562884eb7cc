import { after, before, describe } from 'node:test';
import { mfaScenarios, type MfaDeployment } from '../../../test/helpers/mfa-scenarios.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { tempDir } from '../../../test/helpers/services.ts';

/**
 * The second factor in the all-in-one shape of `npm start`: one process, embedded PGlite, in-process
 * queue, the memory challenge store. The per-address code limit is the default (30 an hour); the
 * per-account one is set out of the way here and tested in the distributed shape.
 */
describe('second factor (TOTP): all-in-one process', () => {
  let proc: RunningProcess;
  let deployment: MfaDeployment;
  const data = tempDir('mfa-aio');

  before(async () => {
    proc = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      MFA_ACCOUNT_MAX_FAILURES: '1000',
    });
    deployment = { url: proc.url, wsUrl: proc.wsUrl, apiUrl: proc.url, limits: { account: 1000, ip: 30 }, logLines: () => proc.lines };
  });

  after(async () => {
    await proc?.stop();
    data.remove();
  });

  mfaScenarios(() => deployment, { readsStores: false });
});
