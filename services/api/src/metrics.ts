import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, register, type CounterCell, type HistogramCell } from '@authgate/shared/metrics/families';

/** Methods the API answers; anything else is counted as `other` (a label set a client cannot grow). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** A request no route matched (404): counted under one label, never under the path it asked for. */
const UNMATCHED = 'unmatched';

interface RouteCells {
  latency: HistogramCell;
  byStatus: Map<number, CounterCell>;
}

/**
 * RED metrics of the account API's routes through Fastify's hooks: requests by route, method and
 * status, and latency by route and method. The route label is the route's template
 * (`/admin/users/:id/disable`), never the URL a client sent: ids and emails never become labels.
 * Cells are bound on a route's first answer and kept; an answer costs a Map lookup and two additions.
 */
export function registerRouteMetrics(app: FastifyInstance, registry: Registry): void {
  const requests = register(
    registry,
    new CounterFamily('authgate_api_requests_total', 'Account API requests answered, by route template, method and status.', ['route', 'method', 'status']),
  );
  const latency = register(
    registry,
    new HistogramFamily('authgate_api_request_duration_seconds', 'Time from an account API request to its answer, by route template and method.', [
      'route',
      'method',
    ]),
  );
  const routes = new Map<string, RouteCells>();
  const started = new WeakMap<FastifyRequest, number>();

  app.addHook('onRequest', async (request) => {
    started.set(request, performance.now());
  });
  app.addHook('onResponse', async (request, reply) => {
    const start = started.get(request);
    if (start === undefined) return;
    const route = request.routeOptions.url ?? UNMATCHED;
    const method = METHODS.has(request.method) ? request.method : 'other';
    const key = `${method} ${route}`;
    let cells = routes.get(key);
    if (!cells) routes.set(key, (cells = { latency: latency.cell({ route, method }), byStatus: new Map() }));
    const status = reply.statusCode;
    let count = cells.byStatus.get(status);
    if (!count) cells.byStatus.set(status, (count = requests.cell({ route, method, status: String(status) })));
    count.inc();
    cells.latency.since(start);
  });
}
