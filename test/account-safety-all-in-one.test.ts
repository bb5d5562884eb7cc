import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { accountSafetyScenarios, type SafetyDeployment } from './helpers/account-safety-scenarios.ts';
import { OutboxMailbox } from './helpers/mailbox.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { tempDir } from './helpers/services.ts';
import { signTestToken } from './helpers/tokens.ts';

/**
 * The second factor's setup and way back, the login limits on every password check, and the end of
 * pending sign-ins, in the all-in-one shape: in-process queue, stores and mail lane, PGlite, and every
 * mail an .eml file under DATA_DIR/outbox/. The login limits are small and their lockout outlasts the
 * file, so each scenario signs in from addresses of its own (X-Forwarded-For, trusted from 127.0.0.1).
 */
const PUBLIC_URL = 'https://auth.example.test';
const LIMITS = { freeFailures: 5, accountMaxFailures: 20 };

describe('account safety: all-in-one', () => {
  const data = tempDir('safety-aio');
  const adminId = randomUUID();
  let proc: RunningProcess;
  let deployment: SafetyDeployment;

  before(async () => {
    proc = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      PUBLIC_URL,
      TRUSTED_PROXIES: '127.0.0.1',
      ADMIN_USER_IDS: adminId,
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      PASSWORD_RESET_MAILS_PER_HOUR: '1000',
      MFA_IP_MAX_FAILURES: '1000',
      LOGIN_FREE_FAILURES: String(LIMITS.freeFailures),
      LOGIN_ACCOUNT_MAX_FAILURES: String(LIMITS.accountMaxFailures),
      LOGIN_BACKOFF_BASE_S: '3600',
      LOGIN_BACKOFF_MAX_S: '3600',
    });
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    deployment = {
      url: proc.url,
      wsUrl: proc.wsUrl,
      apiUrl: proc.url,
      mailbox: new OutboxMailbox(path.join(data.dir, 'outbox')),
      publicUrl: PUBLIC_URL,
      adminId,
      adminToken: () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId }),
      limits: LIMITS,
    };
  });

  after(async () => {
    await proc?.stop();
    data.remove();
  });

  accountSafetyScenarios(() => deployment);
});
