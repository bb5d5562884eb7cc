/**
 * Settings of the k6 scripts, from `k6 run -e NAME=value`: where to send the load and how much.
 * Defaults match load-tests/config.json, the figures `npm run test:load` uses.
 */
export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const WS_URL = __ENV.WS_URL || `${BASE_URL.replace(/^http/, 'ws')}/ws`;
export const PASSWORD = 'load test password 1';

export function intEnv(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0 (got ${raw})`);
  return value;
}

export function stringEnv(name: string, fallback: string): string {
  return __ENV[name] || fallback;
}

/** A run id made once in setup() and handed to every VU, so that accounts of one run share a prefix. */
export function newRunId(): string {
  return `k6-${Date.now().toString(36)}-${Math.floor(Math.random() * 0xffff).toString(16)}`;
}

export function emailFor(runId: string, scenario: string, user: number | string): string {
  return `load-${runId}-${scenario}-${user}@example.test`;
}
