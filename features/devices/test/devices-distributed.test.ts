import { after, before, describe } from 'node:test';
import pg from 'pg';
import { DEVICE_TEST_LIMITS as LIMITS, deviceScenarios, type DeviceDeployment } from '../../../test/helpers/device-scenarios.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';
import { TestSmtpServer } from '../../../services/mailer/test/smtp.ts';

/**
 * New-device approval in the distributed shape: two edges, a worker, the account API and a mailer over
 * the machine's RabbitMQ, Redis and PostgreSQL; the mailer sends to a real SMTP server in this process.
 * Beside it, an edge and a worker of their own namespace run with DEVICE_VERIFICATION=off.
 */
describe('new-device approval: two edges, a worker, the account API and a mailer', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('devices');
  const namespace = uniqueNamespace('devices');
  const offNamespace = uniqueNamespace('devices-off');
  const smtp = new TestSmtpServer();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let reader: pg.Client;
  let deployment: DeviceDeployment;

  before(async () => {
    database = await createTestDatabase('devices');
    await smtp.start();
    const common = {
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'debug',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      // Each limit scenario comes from client addresses of its own (X-Forwarded-For from the test).
      TRUSTED_PROXIES: '127.0.0.1',
      MFA_ACCOUNT_MAX_FAILURES: String(LIMITS.codeFailuresPerAccount),
      MFA_IP_MAX_FAILURES: String(LIMITS.codeFailuresPerAddress),
      DEVICE_MAILS_PER_HOUR: String(LIMITS.noticesPerHour),
    };
    const on = { ...common, NAMESPACE: namespace };
    const off = { ...common, NAMESPACE: offNamespace, DEVICE_VERIFICATION: 'off' };
    processes.push(await startProcess('worker', { ...on, DATABASE_URL: database.url }));
    processes.push(await startProcess('worker', { ...off, DATABASE_URL: database.url }));
    const started = await Promise.all([
      startProcess('edge', on),
      startProcess('edge', on),
      startProcess('api', { ...on, DATABASE_URL: database.url }),
      startProcess('mailer', { ...on, SMTP_URL: smtp.url }),
      startProcess('edge', off),
    ]);
    processes.push(...started);
    const [a, b, api, , offEdge] = started;
    reader = new pg.Client({ connectionString: database.url });
    await reader.connect();
    deployment = {
      a: { url: a!.url, wsUrl: a!.wsUrl },
      b: { url: b!.url, wsUrl: b!.wsUrl },
      apiUrl: api!.url,
      off: { url: offEdge!.url, wsUrl: offEdge!.wsUrl },
      limits: LIMITS,
      mails: async (email) =>
        smtp.received
          .filter((mail) => !Array.isArray(mail.to) && mail.to?.value.some((to) => to.address === email))
          .map((mail) => ({ subject: mail.subject ?? '', text: mail.text ?? '' })),
      logLines: () => processes.flatMap((p) => p.lines.map((line) => JSON.stringify(line))),
      knownDevices: async (userId) =>
        (await reader.query('SELECT device_hash, first_seen_at, last_seen_at FROM known_devices WHERE user_id = $1', [userId])).rows,
    };
  });

  after(async () => {
    await reader?.end();
    await Promise.all(processes.map((p) => p.stop()));
    await smtp.stop();
    await database?.drop();
    await cleanupNamespace(namespace);
    await cleanupNamespace(offNamespace);
    data.remove();
  });

  deviceScenarios(() => deployment);
});
