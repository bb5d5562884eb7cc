import { after, before, describe } from 'node:test';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { pipelineScenarios, type Deployment } from './helpers/scenarios.ts';
import { tempDir } from './helpers/services.ts';

/**
 * The all-in-one shape of `npm start`: one process, embedded PGlite, in-process queue and pub/sub.
 * Both "edges" of the scenarios are that one process.
 */
describe('pipeline: all-in-one process with embedded defaults', () => {
  const LIMITS = { MAX_BODY_BYTES: 4096, WS_MAX_PAYLOAD_BYTES: 4096, WS_MAX_MESSAGES_PER_10S: 100 };
  let proc: RunningProcess;
  let deployment: Deployment;
  const data = tempDir('aio');

  before(async () => {
    proc = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      // Every client of the scenarios is one address: 200 concurrent logins are one source's.
      PASSWORD_WORK_PER_SOURCE: '10000',
      // 200 logins at once on a loaded machine would be refused as overloaded: the scenarios test
      // delivery; admission that fails fast has its own tests (test/overload-admission.test.ts).
      OVERLOAD_ADMIT_SHARE: '0',
      // The scenarios replay a rotated refresh token at once and expect the family revoked; within the
      // grace window that replay would count as a concurrent refresh (test/security proves the window).
      REFRESH_GRACE_MS: '0',
      ...Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)])),
    });
    deployment = {
      a: proc,
      b: proc,
      maxBodyBytes: LIMITS.MAX_BODY_BYTES,
      wsMaxPayloadBytes: LIMITS.WS_MAX_PAYLOAD_BYTES,
      wsMaxFramesPer10s: LIMITS.WS_MAX_MESSAGES_PER_10S,
    };
  });

  after(async () => {
    await proc?.stop();
    data.remove();
  });

  pipelineScenarios(() => deployment);
});
