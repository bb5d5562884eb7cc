import { Counter, Rate, Trend } from 'k6/metrics';

/** Share of authgate requests that got their operation's own status (docs/rest.md). */
export const success = new Rate('authgate_success');
/** Failed requests, tagged with `op` and the error body's `error.code`. */
export const errors = new Counter('authgate_errors');
/** Latency of WebSocket requests (k6's http_req_duration covers REST), tagged with `op`. */
export const wsDuration = new Trend('authgate_ws_duration', true);

export type Operation = 'register' | 'login' | 'verify' | 'refresh' | 'logout';

export const EXPECTED_STATUS: Record<Operation, number> = { register: 201, login: 200, verify: 200, refresh: 200, logout: 204 };

/** Counts one answer; returns whether it succeeded. */
export function judge(op: Operation, status: number, errorCode: string | undefined): boolean {
  const ok = status === EXPECTED_STATUS[op];
  success.add(ok, { op });
  if (!ok) errors.add(1, { op, code: errorCode ?? `http_${status}` });
  return ok;
}

/**
 * Thresholds as load-tests/config.json sets them: the success rate, and p99 latency of the REST
 * requests of `ops` (setup() requests are left out) and of the WebSocket requests when there are any.
 */
export function thresholds(o: { p99Ms: number; minSuccessRate?: number; ops: Operation[]; ws?: boolean }): Record<string, string[]> {
  const out: Record<string, string[]> = { authgate_success: [`rate>=${o.minSuccessRate ?? 0.99}`] };
  for (const op of o.ops) out[`http_req_duration{op:${op}}`] = [`p(99)<${o.p99Ms}`];
  if (o.ws) out.authgate_ws_duration = [`p(99)<${o.p99Ms}`];
  return out;
}
