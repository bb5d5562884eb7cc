import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { liveChannelOf } from '@authgate/shared/live/redis-live';
import type { LiveDeployment } from './live-scenarios.ts';
import { startProcess, type RunningProcess } from './processes.ts';
import { RedisMonitor } from './redis-monitor.ts';
import type { Deployment } from './scenarios.ts';
import { cleanupNamespace, createTestDatabase, tempDir, uniqueNamespace } from './services.ts';
import { signTestToken } from './tokens.ts';

/**
 * The two-edge system deployments the suites run on (test/helpers/scenarios.ts, live-scenarios.ts):
 * two edges and a worker (and the account API for the live suite) as separate processes over the
 * brokers `backend` names: the machine's RabbitMQ and Redis, a private Redis Cluster, a private
 * RabbitMQ cluster. Registers the suite's before/after hooks; call it inside a `describe`.
 */
export interface Backend {
  AMQP_URL: string;
  /** One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES, with its seed addresses). */
  redis: { REDIS_URL: string } | { REDIS_CLUSTER_NODES: string; addresses: Array<{ host: string; port: number }> };
  /** QUEUE_TYPE: `quorum` on a RabbitMQ cluster. */
  QUEUE_TYPE?: 'classic' | 'quorum';
}

function backendEnv(backend: Backend): Record<string, string> {
  const env: Record<string, string> = { AMQP_URL: backend.AMQP_URL };
  if ('REDIS_URL' in backend.redis) env.REDIS_URL = backend.redis.REDIS_URL;
  else env.REDIS_CLUSTER_NODES = backend.redis.REDIS_CLUSTER_NODES;
  if (backend.QUEUE_TYPE) env.QUEUE_TYPE = backend.QUEUE_TYPE;
  return env;
}

/** Body and frame limits small enough for the scenarios to cross them. */
const LIMITS = { MAX_BODY_BYTES: 4096, WS_MAX_PAYLOAD_BYTES: 4096, WS_MAX_MESSAGES_PER_10S: 100 };

/** Two edges and a worker, for pipelineScenarios. */
export function pipelineOnTwoEdges(label: string, backend: () => Backend): () => Deployment {
  const processes: RunningProcess[] = [];
  const data = tempDir(label);
  const namespace = uniqueNamespace(label);
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let deployment: Deployment;

  before(async () => {
    database = await createTestDatabase(label);
    const common = {
      NAMESPACE: namespace,
      ...backendEnv(backend()),
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
    };
    // The worker first: in development it creates the signing key that the edges derive their JWKS from.
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

  return () => deployment;
}

/**
 * Two edges, a worker and the account API, for liveScenarios; a subscriber of the test counts what
 * crosses each edge's live channel (on the shard that owns it, on a Redis Cluster). `env` is added to
 * every process's settings.
 */
export function liveOnTwoEdges(label: string, backend: () => Backend, env: Record<string, string> = {}): () => LiveDeployment {
  const processes: RunningProcess[] = [];
  const data = tempDir(label);
  const namespace = uniqueNamespace(label);
  const adminId = randomUUID();
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let counter: Redis | Cluster | undefined;
  let monitor: RedisMonitor | undefined;
  let deployment: LiveDeployment;

  before(async () => {
    database = await createTestDatabase(label);
    const chosen = backend();
    const common = {
      NAMESPACE: namespace,
      ...backendEnv(chosen),
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      REFRESH_GRACE_MS: '0',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      // 50 accounts sign in at once: delivery is tested here, fail-fast admission in overload-admission.
      OVERLOAD_ADMIT_SHARE: '0',
      // These scenarios sign one account in from several devices; new-device approval has its own tests (devices-*.test.ts).
      DEVICE_VERIFICATION: 'off',
      ...env,
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    const [a, b, api] = await Promise.all([
      startProcess('edge', common),
      startProcess('edge', common),
      startProcess('api', { ...common, DATABASE_URL: database.url, ADMIN_USER_IDS: adminId }),
    ]);
    processes.push(a!, b!, api!);
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    const edges = [a!, b!];
    const channelOf = (nodeId: string) => liveChannelOf(namespace, nodeId);
    const counts = new Map<string, Map<string, number>>();
    const count = (channel: string, message: string) => {
      const nodeId = edges.find((edge) => channelOf(edge.nodeId) === channel)!.nodeId;
      const userId = (JSON.parse(message) as { userId: string }).userId;
      const perUser = counts.get(nodeId) ?? new Map<string, number>();
      perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
      counts.set(nodeId, perUser);
    };
    const withdrawals = new Map<string, number>();
    if ('REDIS_URL' in chosen.redis) {
      const single = new Redis(chosen.redis.REDIS_URL);
      counter = single;
      await single.subscribe(...edges.map((edge) => channelOf(edge.nodeId)));
      single.on('message', count);
      // Every presence withdrawal the edges send, as Redis receives it.
      const presencePrefix = `${namespace}:presence:`;
      monitor = await RedisMonitor.open(chosen.redis.REDIS_URL, (args) => {
        if (args[0]?.toLowerCase() !== 'zrem' || !args[1]?.startsWith(presencePrefix)) return;
        const userId = args[1].slice(presencePrefix.length);
        withdrawals.set(userId, (withdrawals.get(userId) ?? 0) + 1);
      });
    } else {
      // The edges' live channels are sharded: each one is followed on the shard that owns it.
      const cluster = new Cluster(chosen.redis.addresses, { shardedSubscribers: true });
      counter = cluster;
      for (const edge of edges) await cluster.ssubscribe(channelOf(edge.nodeId));
      cluster.on('smessage', count);
    }
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
      ...(monitor
        ? {
            presenceWithdrawals: async (userId: string) => {
              await new Promise((r) => setTimeout(r, 100));
              return withdrawals.get(userId) ?? 0;
            },
          }
        : {}),
    };
  });

  after(async () => {
    counter?.disconnect();
    monitor?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  return () => deployment;
}
