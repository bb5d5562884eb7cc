import { describe } from 'node:test';
import { pipelineScenarios } from './helpers/scenarios.ts';
import { AMQP_URL, REDIS_URL } from './helpers/services.ts';
import { pipelineOnTwoEdges } from './helpers/two-edges.ts';

/**
 * The distributed shape: two edge processes and one worker process over the machine's real RabbitMQ,
 * Redis and PostgreSQL. Edges get no DATABASE_URL and no private key: they cannot touch either.
 */
describe('pipeline: two edges and a worker over RabbitMQ, Redis and PostgreSQL', () => {
  pipelineScenarios(pipelineOnTwoEdges('pipeline', () => ({ AMQP_URL, redis: { REDIS_URL } })));
});
