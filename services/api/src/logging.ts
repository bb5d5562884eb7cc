import type { FastifyRequest } from 'fastify';
import type { Logger } from '@authgate/shared/logger';

/**
 * The request as it is logged: the route pattern, not the path, when one matched, and never the
 * query string, so the emails looked up by /users/check-email and /users/by-email/:email stay out of
 * the logs. Headers (Authorization) are not logged at all.
 */
function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.routeOptions?.url ?? request.url.split('?')[0],
    remoteAddress: request.ip,
  };
}

export function apiLogger(log: Logger): Logger {
  return log.child({ role: 'api' }, { serializers: { req: requestForLog } });
}
