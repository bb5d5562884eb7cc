import { describe } from 'node:test';
import { AMQP_URL, REDIS_URL } from './helpers/services.ts';
import { SOCKET_EXPIRY_TTL_S, socketExpiryScenarios } from './helpers/socket-expiry-scenarios.ts';
import { liveOnTwoEdges } from './helpers/two-edges.ts';

/**
 * A socket's authority ends with its access token, in the distributed shape: two edges, a worker and
 * the account API over the machine's RabbitMQ, Redis and PostgreSQL; the test counts what crosses each
 * edge's live channel and the presence withdrawals Redis receives.
 */
describe('socket authentication ends with its access token: two edges, a worker and the account API', () => {
  socketExpiryScenarios(liveOnTwoEdges('expiry', () => ({ AMQP_URL, redis: { REDIS_URL } }), { ACCESS_TOKEN_TTL_S: String(SOCKET_EXPIRY_TTL_S) }));
});
