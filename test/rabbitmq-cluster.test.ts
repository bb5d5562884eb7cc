import { after, before, describe } from 'node:test';
import { freePort } from '../scripts/cluster/ports.ts';
import { PrivateRabbitMQCluster } from './chaos/services/private-rabbitmq.ts';
import { liveScenarios } from './helpers/live-scenarios.ts';
import { pipelineScenarios } from './helpers/scenarios.ts';
import { REDIS_URL, tempDir } from './helpers/services.ts';
import { liveOnTwoEdges, pipelineOnTwoEdges, type Backend } from './helpers/two-edges.ts';

/**
 * The two-edge system suites on a RabbitMQ cluster of three private nodes (own node names, ports and
 * Erlang cookie) with quorum queues: every process is given all three nodes in AMQP_URL. What happens
 * when one of them dies is the chaos run's (test/chaos/rabbitmq-cluster-failover.test.ts).
 */
const dir = tempDir('rmq-cluster');
let rabbitmq: PrivateRabbitMQCluster;
before(async () => {
  rabbitmq = await PrivateRabbitMQCluster.start(dir.dir, () => freePort());
});
after(async () => {
  await rabbitmq?.destroy();
  dir.remove();
});
const onCluster = (): Backend => ({ AMQP_URL: rabbitmq.url, redis: { REDIS_URL }, QUEUE_TYPE: 'quorum' });

describe('pipeline on a RabbitMQ cluster with quorum queues: two edges and a worker', () => {
  pipelineScenarios(pipelineOnTwoEdges('rqpipe', onCluster));
});

describe('live account events and sessions on a RabbitMQ cluster with quorum queues', () => {
  liveScenarios(liveOnTwoEdges('rqlive', onCluster));
});
