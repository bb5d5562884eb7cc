import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';
import { signTestToken } from '../../../test/helpers/tokens.ts';
import { BREACHED_PASSWORD, type StuffingDeployment, stuffingScenarios } from './scenarios.ts';
import { RangeServer } from './support/range-server.ts';

/**
 * Credential stuffing through the real services: two edges and two workers over RabbitMQ and Redis,
 * the account API on PostgreSQL. Failures counted by either worker reach one window in Redis; a
 * challenge made by one edge is answered on the other and spent once for both.
 */
describe('credential stuffing: two edges, two workers and the account API over RabbitMQ, Redis and PostgreSQL', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('stuffing');
  const namespace = uniqueNamespace('stuffing');
  const adminId = randomUUID();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let range: RangeServer;
  let deployment: StuffingDeployment;

  before(async () => {
    [database, range] = await Promise.all([createTestDatabase('stuffing'), RangeServer.start([BREACHED_PASSWORD])]);
    const env = {
      PASSWORD_BREACH_RANGE_URL: range.url,
      AMQP_URL,
      REDIS_URL,
      NAMESPACE: namespace,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'debug',
      STUFFING_DIFFICULTY: '8',
      STUFFING_COOLDOWN_S: '4',
      PASSWORD_WORK_PER_SOURCE: '4',
    };
    // The first worker migrates the database and makes the development keys the others read.
    processes.push(await startProcess('worker', { ...env, DATABASE_URL: database.url }));
    const started = await Promise.all([
      startProcess('worker', { ...env, DATABASE_URL: database.url }),
      startProcess('edge', env),
      startProcess('edge', env),
      startProcess('api', { ...env, DATABASE_URL: database.url, ADMIN_USER_IDS: adminId }),
    ]);
    processes.push(...started);
    const [, a, b, api] = started;
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    deployment = {
      a: { url: a!.url, wsUrl: a!.wsUrl },
      b: { url: b!.url, wsUrl: b!.wsUrl },
      apiUrl: api!.url,
      adminToken: () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId }),
      difficulty: 8,
      cooldownS: 4,
      firstAddress: 200_000,
      logLines: () => processes.flatMap((p) => p.lines.map((line) => JSON.stringify(line))),
      range,
      workerMetrics: processes.filter((p) => p.target === 'worker').map((p) => `http://127.0.0.1:${p.metricsPort}/metrics`),
    };
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await range?.close();
    await cleanupNamespace(namespace);
    data.remove();
  });

  stuffingScenarios(() => deployment);
});
