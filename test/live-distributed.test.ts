import { describe } from 'node:test';
import { liveScenarios } from './helpers/live-scenarios.ts';
import { AMQP_URL, REDIS_URL } from './helpers/services.ts';
import { liveOnTwoEdges } from './helpers/two-edges.ts';

/**
 * Live account events and sessions in the distributed shape: two edges, a worker and the account API
 * over the machine's RabbitMQ, Redis and PostgreSQL. A Redis subscriber of the test counts what crosses
 * each edge's live channel.
 */
describe('live account events and sessions: two edges, a worker and the account API', () => {
  liveScenarios(liveOnTwoEdges('live', () => ({ AMQP_URL, redis: { REDIS_URL } })));
});
