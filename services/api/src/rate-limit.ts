import type { FastifyRequest } from 'fastify';
import type { LimiterStore } from '@authgate/shared/security/limiter-store';
import { PerMinuteLimiter } from '@authgate/shared/security/per-minute-limiter';

/**
 * Requests per client IP on one route, counted in the process's limiter store (Redis across every api
 * replica, with an in-memory insurance limiter; memory alone in the all-in-one shape).
 */
export class RouteRateLimiter {
  private readonly limiter: PerMinuteLimiter;

  /** `keyOf`: whose requests are counted; the client IP unless told (POST /events counts per user). */
  constructor(
    store: LimiterStore,
    keyPrefix: string,
    pointsPerMinute: number,
    private readonly keyOf: (request: FastifyRequest) => string = (request) => request.ip,
  ) {
    this.limiter = new PerMinuteLimiter(store, keyPrefix, pointsPerMinute);
  }

  /** onRequest hook: 429 `rate_limited` with the seconds to wait. request.ip honours TRUSTED_PROXIES only. */
  readonly hook = (request: FastifyRequest): Promise<void> => this.limiter.consume(this.keyOf(request));
}
