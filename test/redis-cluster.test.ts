import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { Cluster } from 'ioredis';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { liveChannelOf } from '@authgate/shared/live/redis-live';
import { PrivateRedisCluster } from '../scripts/lib/redis-cluster.ts';
import { liveScenarios, type LiveDeployment } from './helpers/live-scenarios.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { pipelineScenarios, type Deployment } from './helpers/scenarios.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, tempDir, uniqueNamespace } from './helpers/services.ts';
import { signTestToken } from './helpers/tokens.ts';

/**
 * The two-edge system suites (cross-node delivery, revocation on every edge, live events) on a Redis
 * Cluster of 3 masters and 3 replicas (private redis-server processes) instead of one Redis: every
 * Redis use of the edges, the worker and the api goes through REDIS_CLUSTER_NODES.
 */
let redis: PrivateRedisCluster;
before(async () => {
  redis = await PrivateRedisCluster.start({ masters: 3, replicas: 1 });
});
after(async () => {
  await redis?.stop();
});

describe('pipeline on a Redis Cluster: two edges and a worker', () => {
  const LIMITS = { MAX_BODY_BYTES: 4096, WS_MAX_PAYLOAD_BYTES: 4096, WS_MAX_MESSAGES_PER_10S: 100 };
  const processes: RunningProcess[] = [];
  let deployment: Deployment;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const data = tempDir('rc-pipe');
  const namespace = uniqueNamespace('rcpipe');

  before(async () => {
    database = await createTestDatabase('rcpipe');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_CLUSTER_NODES: redis.nodesSetting,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      PASSWORD_WORK_PER_SOURCE: '10000',
      REFRESH_GRACE_MS: '0',
      ...Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)])),
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    const [a, b] = await Promise.all([startProcess('edge', common), startProcess('edge', common)]);
    processes.push(a!, b!);
    deployment = {
      a: a!,
      b: b!,
      maxBodyBytes: LIMITS.MAX_BODY_BYTES,
      wsMaxPayloadBytes: LIMITS.WS_MAX_PAYLOAD_BYTES,
      wsMaxFramesPer10s: LIMITS.WS_MAX_MESSAGES_PER_10S,
    };
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  pipelineScenarios(() => deployment);
});

describe('live account events and sessions on a Redis Cluster: two edges, a worker and the account API', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('rc-live');
  const namespace = uniqueNamespace('rclive');
  const adminId = randomUUID();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let deployment: LiveDeployment;
  let counter: Cluster | undefined;

  before(async () => {
    database = await createTestDatabase('rclive');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_CLUSTER_NODES: redis.nodesSetting,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      REFRESH_GRACE_MS: '0',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      PASSWORD_WORK_PER_SOURCE: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      // The live scenarios sign one account in from several devices; approval has its own tests.
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
    // The edges' live channels are sharded: each one is followed on the shard that owns it.
    counter = new Cluster(redis.addresses, { shardedSubscribers: true });
    for (const edge of [a!, b!]) await counter.ssubscribe(liveChannelOf(namespace, edge.nodeId));
    counter.on('smessage', (channel: string, message: string) => {
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
