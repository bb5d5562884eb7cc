import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { Redis } from 'ioredis';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { liveChannelOf } from '@authgate/shared/live/redis-live';
import { liveScenarios, type LiveDeployment } from './helpers/live-scenarios.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';
import { signTestToken } from './helpers/tokens.ts';

/**
 * Live account events and sessions in the distributed shape: two edges, a worker and the account API
 * over the machine's RabbitMQ, Redis and PostgreSQL. A Redis subscriber of the test counts what crosses
 * each edge's live channel.
 */
describe('live account events and sessions: two edges, a worker and the account API', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('live');
  const namespace = uniqueNamespace('live');
  const adminId = randomUUID();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let deployment: LiveDeployment;
  let counter: Redis | undefined;

  before(async () => {
    database = await createTestDatabase('live');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      REFRESH_GRACE_MS: '0',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      PASSWORD_WORK_PER_SOURCE: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      // These scenarios sign one account in from several devices; new-device approval has its own tests (devices-*.test.ts).
      DEVICE_VERIFICATION: 'off',
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    const [a, b, api] = await Promise.all([
      startProcess('edge', common),
      startProcess('edge', common),
      startProcess('api', { ...common, DATABASE_URL: database.url, ADMIN_USER_IDS: adminId }),
    ]);
    processes.push(a!, b!, api!);
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    const counts = new Map<string, Map<string, number>>();
    counter = new Redis(REDIS_URL);
    const channels = [a!, b!].map((edge) => liveChannelOf(namespace, edge.nodeId));
    await counter.subscribe(...channels);
    counter.on('message', (channel: string, message: string) => {
      const nodeId = [a!, b!].find((edge) => liveChannelOf(namespace, edge.nodeId) === channel)!.nodeId;
      const userId = (JSON.parse(message) as { userId: string }).userId;
      const perUser = counts.get(nodeId) ?? new Map<string, number>();
      perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
      counts.set(nodeId, perUser);
    });
    deployment = {
      a: { url: a!.url, wsUrl: a!.wsUrl, nodeId: a!.nodeId },
      b: { url: b!.url, wsUrl: b!.wsUrl, nodeId: b!.nodeId },
      apiUrl: api!.url,
      adminToken: () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId }),
      publishedPerEdge: async () => {
        await new Promise((r) => setTimeout(r, 100));
        const snapshot = new Map([...counts].map(([node, perUser]) => [node, new Map(perUser)]));
        counts.clear();
        return snapshot;
      },
    };
  });

  after(async () => {
    counter?.disconnect();
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  liveScenarios(() => deployment);
});
