import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../scripts/cluster/ports.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase } from '../../helpers/services.ts';
import { PrivatePostgres } from './private-postgres.ts';
import { PrivateRabbitMQ, PrivateRabbitMQCluster } from './private-rabbitmq.ts';
import { PrivateRedis } from './private-redis.ts';
import { PrivateRedisCluster } from '../../../scripts/lib/redis-cluster.ts';

export { PrivatePostgres, PrivateRabbitMQ, PrivateRabbitMQCluster, PrivateRedis };

/** Which dependencies the harness runs itself (to inject faults into); the others are the machine's. */
export interface BackendChoice {
  redis: boolean;
  /** A private Redis Cluster (3 masters, 3 replicas) instead of any single Redis. */
  redisCluster?: boolean;
  rabbitmq: boolean;
  /** Three private RabbitMQ nodes in one cluster instead of any single RabbitMQ (run with QUEUE_TYPE=quorum). */
  rabbitmqCluster?: boolean;
  postgres: boolean;
}

export interface Backends {
  redisUrl: string;
  amqpUrl: string;
  /** The database the cluster uses (created by the cluster on a private server, by us on the machine's). */
  databaseUrl: string;
  redis: PrivateRedis | undefined;
  redisCluster: PrivateRedisCluster | undefined;
  rabbitmq: PrivateRabbitMQ | undefined;
  rabbitmqCluster: PrivateRabbitMQCluster | undefined;
  postgres: PrivatePostgres | undefined;
  dir: string;
  /** Stops what was started and removes what was left on the machine's services. Safe to call twice. */
  cleanup(): Promise<void>;
}

/**
 * Starts the private instances asked for, on free loopback ports, each in a temporary folder. A
 * dependency not asked for is the machine's own (test/helpers/services.ts), used in a namespace and
 * database of this run that cleanup removes. On a failure everything started so far is stopped.
 */
export async function startBackends(choice: BackendChoice, namespace: string): Promise<Backends> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authgate-chaos-'));
  // PostgreSQL (as its own user) and nginx's workers must reach their folders inside it.
  chmodSync(dir, 0o755);
  const sub = (name: string) => mkdtempSync(path.join(dir, `${name}-`));
  const undo: (() => Promise<void>)[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      for (const step of undo.reverse()) await step().catch((err: unknown) => console.error(`chaos cleanup: ${(err as Error).message}`));
      if (process.env.KEEP_CHAOS_DIR) console.log(`chaos files kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    })());
  try {
    let redis: PrivateRedis | undefined;
    let redisCluster: PrivateRedisCluster | undefined;
    let rabbitmq: PrivateRabbitMQ | undefined;
    let rabbitmqCluster: PrivateRabbitMQCluster | undefined;
    let postgres: PrivatePostgres | undefined;
    if (choice.redis) {
      redis = new PrivateRedis(await freePort(), sub('redis'));
      undo.push(() => redis!.destroy());
      await redis.start();
    }
    if (choice.redisCluster) {
      redisCluster = await PrivateRedisCluster.start({ masters: 3, replicas: 1, dir: sub('redis-cluster') });
      undo.push(() => redisCluster!.stop());
    }
    if (choice.postgres) {
      postgres = new PrivatePostgres(await freePort(), sub('postgres'));
      undo.push(() => postgres!.destroy());
      await postgres.init();
      await postgres.start();
    }
    if (choice.rabbitmq) {
      rabbitmq = new PrivateRabbitMQ(await freePort(), await freePort(), sub('rabbitmq'));
      undo.push(() => rabbitmq!.destroy());
      await rabbitmq.start();
    }
    if (choice.rabbitmqCluster) {
      rabbitmqCluster = await PrivateRabbitMQCluster.start(sub('rabbitmq-cluster'), () => freePort());
      undo.push(() => rabbitmqCluster!.destroy());
    }
    let databaseUrl: string;
    if (postgres) databaseUrl = postgres.url('authgate');
    else {
      const database = await createTestDatabase('chaos');
      undo.push(() => database.drop());
      databaseUrl = database.url;
    }
    // The machine's RabbitMQ or Redis keep this run's queues and keys until they are removed.
    if (!(choice.rabbitmq || choice.rabbitmqCluster) || !(choice.redis || choice.redisCluster)) undo.push(() => cleanupNamespace(namespace));
    return {
      redisUrl: redis?.url ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      amqpUrl: rabbitmqCluster?.url ?? rabbitmq?.url ?? AMQP_URL,
      databaseUrl,
      redis,
      redisCluster,
      rabbitmq,
      rabbitmqCluster,
      postgres,
      dir,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
