import type { RouteMeter } from '../observe/metrics.ts';
import type { HttpResponse } from '../uws.ts';

/**
 * The route an HTTP response answers, recorded when its request comes in and counted when `send`
 * writes its answer, whenever and wherever that is (after an await, from the relay). The cached
 * GET /auth/verify does not come through here: it counts inline, without a map entry.
 */
const meters = new WeakMap<HttpResponse, { meter: RouteMeter; start: number }>();

export function meterResponse(res: HttpResponse, meter: RouteMeter): void {
  meters.set(res, { meter, start: performance.now() });
}

export function countAnswer(res: HttpResponse, status: number): void {
  const metered = meters.get(res);
  if (!metered) return;
  meters.delete(res);
  metered.meter.answered(status, metered.start);
}
