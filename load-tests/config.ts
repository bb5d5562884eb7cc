import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Load-run configuration (load-tests/config.json): counts, durations and thresholds per scenario. */
const count = (max: number) => z.number().int().min(1).max(max);
const seconds = z.number().min(1).max(3600);

export const thresholdsSchema = z
  .object({
    /** Share of requests that succeeded, 0-1. */
    minSuccessRate: z.number().min(0).max(1).optional(),
    maxP50Ms: z.number().min(0).optional(),
    maxP95Ms: z.number().min(0).optional(),
    maxP99Ms: z.number().min(0).optional(),
    /** Ended requests per second over the scenario. */
    minThroughputRps: z.number().min(0).optional(),
    /** Requests cut off by the scenario's time limit. */
    maxUnfinished: z.number().int().min(0).optional(),
  })
  .strict();
export type Thresholds = z.infer<typeof thresholdsSchema>;

const scenarioBase = { timeoutS: seconds, thresholds: thresholdsSchema.default({}) };

export const loadConfigSchema = z
  .object({
    $comment: z.string().optional(),
    deployment: z
      .object({
        /** `cluster`: nginx, edges and workers over the local Redis, RabbitMQ and PostgreSQL; `all`: one all-in-one process. */
        shape: z.enum(['cluster', 'all']).default('cluster'),
        edges: count(16).default(2),
        workers: count(16).default(2),
        /** `edges`: load goes to the edges directly, spread over them; `nginx`: through the cluster's nginx. */
        via: z.enum(['edges', 'nginx']).default('edges'),
        bcryptCost: z.number().int().min(4).max(15).default(4),
        /** Settings for every process the run starts, over the load-run defaults. */
        env: z.record(z.string(), z.string()).default({}),
      })
      .strict(),
    /** Seconds between progress lines when stderr is not a terminal. */
    progressIntervalS: z.number().min(1).max(600).default(5),
    scenarios: z
      .object({
        'rest-auth': z.object({ ...scenarioBase, users: count(100_000), maxSeconds: seconds }).strict(),
        'ws-auth': z
          .object({ ...scenarioBase, users: count(100_000), connectConcurrency: count(10_000), connectTimeoutS: seconds, maxSeconds: seconds })
          .strict(),
        'verify-storm': z.object({ ...scenarioBase, tokens: count(100_000), connections: count(10_000), threads: count(64), durationS: seconds }).strict(),
        'refresh-storm': z.object({ ...scenarioBase, sessions: count(100_000), durationS: seconds }).strict(),
        mixed: z
          .object({
            ...scenarioBase,
            restUsers: z.number().int().min(0).max(100_000),
            wsUsers: z.number().int().min(0).max(100_000),
            durationS: seconds,
            verifiesPerRefresh: z.number().int().min(0).max(1000),
            refreshesPerSession: z.number().int().min(0).max(1000),
            connectConcurrency: count(10_000),
            connectTimeoutS: seconds,
          })
          .strict(),
      })
      .strict(),
  })
  .strict();

export type LoadConfig = z.infer<typeof loadConfigSchema>;
export type ScenarioName = keyof LoadConfig['scenarios'];
export const SCENARIO_NAMES = ['rest-auth', 'ws-auth', 'verify-storm', 'refresh-storm', 'mixed'] as const satisfies readonly ScenarioName[];

export class ConfigFileError extends Error {}

export function readConfig(file: string): LoadConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = loadConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigFileError(
      `${file} is not a valid load-test config:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`,
    );
  }
  return parsed.data;
}

export interface Overrides {
  /** Multiplies every count and duration (not the time limits); each stays at least 1. */
  scale?: number | undefined;
  /** Virtual users of rest-auth and ws-auth. */
  users?: number | undefined;
  /** Seconds of verify-storm, refresh-storm and mixed. */
  durationS?: number | undefined;
}

/** The config with --scale, --users and --duration applied. */
export function applyOverrides(config: LoadConfig, o: Overrides): LoadConfig {
  const f = o.scale ?? 1;
  const n = (v: number) => Math.max(1, Math.round(v * f));
  const n0 = (v: number) => (v === 0 ? 0 : n(v));
  const s = (v: number) => Math.max(1, Math.round(v * f));
  const c = structuredClone(config);
  const { scenarios: x } = c;
  x['rest-auth'].users = o.users ?? n(x['rest-auth'].users);
  x['ws-auth'].users = o.users ?? n(x['ws-auth'].users);
  x['verify-storm'].tokens = n(x['verify-storm'].tokens);
  x['verify-storm'].connections = Math.max(x['verify-storm'].threads, n(x['verify-storm'].connections));
  x['verify-storm'].durationS = o.durationS ?? s(x['verify-storm'].durationS);
  x['refresh-storm'].sessions = n(x['refresh-storm'].sessions);
  x['refresh-storm'].durationS = o.durationS ?? s(x['refresh-storm'].durationS);
  x.mixed.restUsers = n0(x.mixed.restUsers);
  x.mixed.wsUsers = n0(x.mixed.wsUsers);
  x.mixed.durationS = o.durationS ?? s(x.mixed.durationS);
  return c;
}
