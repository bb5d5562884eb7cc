import { after, before, describe } from 'node:test';
import { PrivateRedisCluster } from '../scripts/lib/redis-cluster.ts';
import { liveScenarios } from './helpers/live-scenarios.ts';
import { pipelineScenarios } from './helpers/scenarios.ts';
import { AMQP_URL } from './helpers/services.ts';
import { liveOnTwoEdges, pipelineOnTwoEdges, type Backend } from './helpers/two-edges.ts';

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
const onCluster = (): Backend => ({ AMQP_URL, redis: { REDIS_CLUSTER_NODES: redis.nodesSetting, addresses: redis.addresses } });

describe('pipeline on a Redis Cluster: two edges and a worker', () => {
  pipelineScenarios(pipelineOnTwoEdges('rcpipe', onCluster));
});

describe('live account events and sessions on a Redis Cluster: two edges, a worker and the account API', () => {
  liveScenarios(liveOnTwoEdges('rclive', onCluster));
});
