import type { Cluster } from '../../scripts/cluster/index.ts';
import type { AuditTap } from './audit-tap.ts';
import type { Backends } from './services/index.ts';

export interface FaultContext {
  cluster: Cluster;
  backends: Backends;
  /** How long a restarted dependency stays down between its stop and its start. */
  downMs: number;
  /** Counts the audit events the broker accepted, to check them against the rows stored. */
  tap: AuditTap;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stop, stay down for a while, start again on the same port and data. */
async function restart(ctx: FaultContext, service: { stop(): Promise<void>; start(): Promise<void> }): Promise<void> {
  await service.stop();
  await sleep(ctx.downMs);
  await service.start();
}

/** One fault of the chaos run: `inject` resolves once the fault is over (killed, or back up). */
export interface Fault {
  name: string;
  /** The private dependency it needs, if any. */
  needs?: 'redis' | 'redisCluster' | 'rabbitmq' | 'rabbitmqCluster' | 'postgres';
  inject(ctx: FaultContext): Promise<void>;
  /** After the phase, outside its figures: brings back what the fault took away for good. */
  heal?(ctx: FaultContext): Promise<void>;
}

async function kill(ctx: FaultContext, name: string): Promise<void> {
  const member = ctx.cluster.member(name);
  member.process.signal('SIGKILL');
  await member.process.exited;
}

export const killWorker: Fault = {
  name: 'worker SIGKILL',
  inject: (ctx) => kill(ctx, 'worker-1'),
  heal: async (ctx) => {
    await ctx.cluster.restart('worker-1');
  },
};

export const restartRabbitMQ: Fault = {
  name: 'RabbitMQ restart',
  needs: 'rabbitmq',
  inject: (ctx) => restart(ctx, ctx.backends.rabbitmq!),
};

export const restartRedis: Fault = {
  name: 'Redis restart',
  needs: 'redis',
  inject: (ctx) => restart(ctx, ctx.backends.redis!),
};

export const killEdge: Fault = {
  name: 'edge SIGKILL',
  inject: (ctx) => kill(ctx, 'edge-1'),
  heal: async (ctx) => {
    await ctx.cluster.restart('edge-1');
  },
};

export const restartPostgres: Fault = {
  name: 'PostgreSQL restart',
  needs: 'postgres',
  inject: (ctx) => restart(ctx, ctx.backends.postgres!),
};

/**
 * SIGKILL of the Redis Cluster master that owns edge-1's node channel (and so the results it waits
 * for, kept in that slot): its replica takes over after cluster-node-timeout. Over once every slot is
 * served again. The killed node stays down (the shard has no replica for the rest of the run).
 */
export const killRedisMaster: Fault = {
  name: 'Redis Cluster master SIGKILL',
  needs: 'redisCluster',
  inject: async (ctx) => {
    const redis = ctx.backends.redisCluster!;
    const edge = ctx.cluster.member('edge-1');
    await redis.killMaster(`${ctx.cluster.topology().namespace}:node:{${edge.nodeId}}`);
    await redis.waitUntilHealthy(60_000);
  },
};

/**
 * SIGKILL of the first RabbitMQ node of a three-node cluster: the node every process connected to
 * first (AMQP_URL lists it first). Connections move to the next node; the quorum queues (QUEUE_TYPE=
 * quorum) elect new leaders among the two left. The node stays down for the rest of the run.
 */
export const killRabbitMQNode: Fault = {
  name: 'RabbitMQ node SIGKILL (of 3)',
  needs: 'rabbitmqCluster',
  inject: (ctx) => ctx.backends.rabbitmqCluster!.nodes[0]!.kill(),
};

/** The order: worker, RabbitMQ, Redis, edge, PostgreSQL. */
export const ALL_FAULTS: readonly Fault[] = [killWorker, restartRabbitMQ, restartRedis, killEdge, restartPostgres];
