import { after, before, describe } from 'node:test';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { pipelineScenarios, type Deployment } from './helpers/scenarios.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';

/**
 * The distributed shape: two edge processes and one worker process over the machine's real RabbitMQ,
 * Redis and PostgreSQL. Edges get no DATABASE_URL and no private key: they cannot touch either.
 */
describe('pipeline: two edges and a worker over RabbitMQ, Redis and PostgreSQL', () => {
  const LIMITS = { MAX_BODY_BYTES: 4096, WS_MAX_PAYLOAD_BYTES: 4096, WS_MAX_MESSAGES_PER_10S: 100 };
  const processes: RunningProcess[] = [];
  let deployment: Deployment;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const data = tempDir('dist');
  const namespace = uniqueNamespace('pipe');

  before(async () => {
    database = await createTestDatabase('pipeline');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      // Every client of the scenarios is one address: 200 concurrent logins are one source's.
      PASSWORD_WORK_PER_SOURCE: '10000',
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

  pipelineScenarios(() => deployment);
});
