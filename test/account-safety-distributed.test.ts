import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { accountSafetyScenarios, type SafetyDeployment } from './helpers/account-safety-scenarios.ts';
import { SmtpMailbox } from './helpers/mailbox.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';
import { signTestToken } from './helpers/tokens.ts';

/**
 * The same scenarios through the real services: an edge, two workers, the account API and a mailer,
 * each its own process, on RabbitMQ, Redis and PostgreSQL; mail goes over SMTP to a server in this
 * process. The administrator's actions run in the account API, which ends pending sign-ins in the
 * Redis stores the workers made them in and queues its notice on the mail lane.
 */
const PUBLIC_URL = 'https://auth.example.test';
const LIMITS = { freeFailures: 5, accountMaxFailures: 20 };

describe('account safety: edge, two workers, account API and mailer over RabbitMQ, Redis and PostgreSQL', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('safety');
  const namespace = uniqueNamespace('safety');
  const adminId = randomUUID();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let mailbox: SmtpMailbox;
  let deployment: SafetyDeployment;

  before(async () => {
    database = await createTestDatabase('safety');
    mailbox = await SmtpMailbox.start();
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      TRUSTED_PROXIES: '127.0.0.1',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      PASSWORD_RESET_MAILS_PER_HOUR: '1000',
      MFA_IP_MAX_FAILURES: '1000',
      LOGIN_FREE_FAILURES: String(LIMITS.freeFailures),
      LOGIN_ACCOUNT_MAX_FAILURES: String(LIMITS.accountMaxFailures),
      LOGIN_BACKOFF_BASE_S: '3600',
      LOGIN_BACKOFF_MAX_S: '3600',
    };
    // The first worker migrates the database and makes the development keys the others read.
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    processes.push(
      ...(await Promise.all([
        startProcess('worker', { ...common, DATABASE_URL: database.url }),
        startProcess('edge', common),
        startProcess('api', { ...common, DATABASE_URL: database.url, ADMIN_USER_IDS: adminId }),
        startProcess('mailer', { ...common, SMTP_URL: mailbox.url, PUBLIC_URL, MAIL_RETRY_BASE_MS: '100', MAIL_RETRY_MAX_MS: '500' }),
      ])),
    );
    const edge = processes.find((p) => p.target === 'edge')!;
    const api = processes.find((p) => p.target === 'api')!;
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    deployment = {
      url: edge.url,
      wsUrl: edge.wsUrl,
      apiUrl: api.url,
      mailbox,
      publicUrl: PUBLIC_URL,
      adminId,
      adminToken: () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId }),
      limits: LIMITS,
    };
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await mailbox?.close();
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  accountSafetyScenarios(() => deployment);
});
