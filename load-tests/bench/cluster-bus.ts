import { randomUUID } from 'node:crypto';
import { createLogger } from '@authgate/shared/logger';
import type { Result } from '@authgate/shared/protocol';
import { type ClusterPubSub, RedisCluster } from '@authgate/shared/redis';
import { RedisResultBus } from '@authgate/shared/transport/redis-results';
import { PrivateRedisCluster } from '../../scripts/lib/redis-cluster.ts';

const EDGES = 4;

/**
 * (i) Redis Cluster bus messages per delivered result, plain PUBLISH vs sharded pub/sub (SPUBLISH), on a
 * private cluster of 3 masters and 3 replicas, read from Redis's own counters: the sum over every node
 * of CLUSTER INFO cluster_stats_messages_publish_sent and _publishshard_sent, before and after. The
 * results travel through the real driver (RedisResultBus: keep-and-publish script, one channel per
 * edge) from one worker-side bus to EDGES edge-side buses.
 */
export async function benchClusterBus(results: number): Promise<Record<string, unknown>> {
  const cluster = await PrivateRedisCluster.start({ masters: 3, replicas: 1 });
  const log = createLogger({ level: 'silent', name: 'bench-cluster-bus' });
  try {
    const perMode: Record<ClusterPubSub, { busMessages: number; perResult: number; delivered: number }> = {
      plain: await measure(cluster, 'plain', results, log),
      sharded: await measure(cluster, 'sharded', results, log),
    };
    return {
      bench: '(i) Redis Cluster bus messages per delivered result: plain PUBLISH vs sharded pub/sub (3 masters + 3 replicas)',
      edges: EDGES,
      results,
      plainPerResult: round(perMode.plain.perResult),
      shardedPerResult: round(perMode.sharded.perResult),
      'plain ÷ sharded':
        perMode.sharded.perResult === 0 ? `∞ (sharded: 0 of ${perMode.sharded.busMessages})` : round(perMode.plain.perResult / perMode.sharded.perResult),
      counters: 'CLUSTER INFO cluster_stats_messages_publish_sent + cluster_stats_messages_publishshard_sent, summed over the 6 nodes',
      detail: perMode,
    };
  } finally {
    await cluster.stop();
  }
}

async function measure(cluster: PrivateRedisCluster, mode: ClusterPubSub, count: number, log: ReturnType<typeof createLogger>) {
  const connector = new RedisCluster(cluster.addresses, log, mode);
  const namespace = `bench-${mode}-${randomUUID().slice(0, 8)}`;
  const nodes = Array.from({ length: EDGES }, (_, i) => `edge-${i + 1}`);
  const edges = nodes.map(() => new RedisResultBus(connector, namespace, log));
  const worker = new RedisResultBus(connector, namespace, log);
  let received = 0;
  try {
    for (const [i, edge] of edges.entries()) await edge.subscribe(nodes[i]!, () => received++);
    // The subscriptions settle (a sharded subscriber connects to its shard) before the counters are read.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await busPublishes(cluster);
    for (let i = 0; i < count; i++) {
      const nodeId = nodes[i % EDGES]!;
      const result: Result = {
        requestId: randomUUID(),
        replyTo: { nodeId, connectionId: `${nodeId}.${'a'.repeat(22)}`, clientId: 'bench' },
        ok: true,
        status: 200,
      };
      await worker.deliver(result);
    }
    const until = Date.now() + 10_000;
    while (received < count && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    // Bus messages are sent as the publishes happen; a short pause lets the last ones be counted.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const busMessages = (await busPublishes(cluster)) - before;
    if (received !== count) throw new Error(`${mode}: ${received} of ${count} results arrived`);
    return { busMessages, perResult: busMessages / count, delivered: received };
  } finally {
    await Promise.all([...edges, worker].map((bus) => bus.close()));
  }
}

async function busPublishes(cluster: PrivateRedisCluster): Promise<number> {
  return (await cluster.busMessages('publish_sent')) + (await cluster.busMessages('publishshard_sent'));
}

const round = (n: number) => Math.round(n * 100) / 100;
