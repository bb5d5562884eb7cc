import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { OutboxMailbox } from '../../../test/helpers/mailbox.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { tempDir } from '../../../test/helpers/services.ts';
import { signTestToken } from '../../../test/helpers/tokens.ts';
import { type PasskeyDeployment, passkeyScenarios } from './scenarios.ts';

/**
 * Passkeys in the all-in-one shape (in-process queue and stores, PGlite, mail as .eml files), with the
 * soft authenticator standing in for the browser: its responses carry PUBLIC_URL's origin, as a page
 * there would. Beside it, a gateway whose PUBLIC_URL is an IP address. The REQUIRE_VERIFIED_EMAIL case,
 * asked last, restarts the gateway on the same data with it on.
 */
const PUBLIC_URL = 'https://auth.example.test';
const TTL_S = 5;
const IP_LIMIT = 10;

describe('passkeys: all-in-one', () => {
  const data = tempDir('passkeys-aio');
  const ipData = tempDir('passkeys-aio-ip');
  const adminId = randomUUID();
  const processes: RunningProcess[] = [];
  let deployment: PasskeyDeployment;

  before(async () => {
    const common = {
      BCRYPT_COST: '4',
      LOG_LEVEL: 'debug',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      MFA_IP_MAX_FAILURES: '1000',
    };
    const env = {
      ...common,
      DATA_DIR: data.dir,
      PUBLIC_URL,
      ADMIN_USER_IDS: adminId,
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      PASSKEY_CHALLENGE_TTL_S: String(TTL_S),
    };
    const [all, ip] = await Promise.all([
      startProcess('all', env),
      startProcess('all', { ...common, DATA_DIR: ipData.dir, PUBLIC_URL: 'http://127.0.0.1:8080', RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT) }),
    ]);
    processes.push(all!, ip!);
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    const edge = { url: all!.url, wsUrl: all!.wsUrl };
    deployment = {
      a: edge,
      b: edge,
      apiUrl: all!.url,
      origin: PUBLIC_URL,
      rpId: new URL(PUBLIC_URL).hostname,
      challengeTtlS: TTL_S,
      mailbox: new OutboxMailbox(path.join(data.dir, 'outbox')),
      adminToken: () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId }),
      logLines: () => processes.flatMap((p) => p.lines.map((line) => JSON.stringify(line))),
      ipHost: { url: ip!.url, wsUrl: ip!.wsUrl },
      ipLimit: IP_LIMIT,
      strict: async () => {
        await all!.stop();
        const strict = await startProcess('all', { ...env, REQUIRE_VERIFIED_EMAIL: 'on' });
        processes.push(strict);
        return { url: strict.url, wsUrl: strict.wsUrl };
      },
    };
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    data.remove();
    ipData.remove();
  });

  passkeyScenarios(() => deployment);
});
