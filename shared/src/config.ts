import { readFileSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { newNodeId, isValidNodeId } from './ids.ts';

/** The roles one process can play; `all` runs every role in one process with embedded defaults. */
export const TARGETS = ['all', 'edge', 'worker', 'api'] as const;
export type Target = (typeof TARGETS)[number];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`)
    .optional();

const commaList = (item: z.ZodType<string, string>) =>
  z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item));

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(8080),
  NODE_ID: z.string().refine(isValidNodeId, 'must be 1-32 characters of a-z, 0-9 and -').optional(),
  /** Namespaces queue names and Redis keys so several deployments (or test runs) can share brokers. */
  NAMESPACE: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be 1-40 characters of a-z, 0-9, _ and -').default('authgate'),
  DATA_DIR: z.string().min(1).default('.data'),

  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  /** Connections each process keeps to PostgreSQL (DATABASE_URL). */
  DATABASE_POOL_SIZE: int(1, 1000).default(10),
  AMQP_URL: optionalUrl(['amqp:', 'amqps:']),
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),

  BCRYPT_COST: int(4, 15).default(12),
  UV_THREADPOOL_SIZE: int(1, 128).default(os.availableParallelism()),
  PASSWORD_PREFETCH: int(1, 1000).optional(),
  SESSION_PREFETCH: int(1, 5000).default(200),
  QUEUE_MAX_LENGTH: int(1, 10_000_000).default(100_000),
  /**
   * RabbitMQ queue type of the command lanes: `quorum` (replicated; for clusters of brokers) or `classic`.
   * A queue keeps the type it was declared with: switching needs new queues (another NAMESPACE).
   */
  QUEUE_TYPE: z.enum(['classic', 'quorum']).default('classic'),
  /**
   * Deliveries of one command before it is set aside as poison: its client gets an `internal` error and
   * a copy without the body goes to `<NAMESPACE>.cmd.dead`. Quorum queues count every delivery; classic
   * ones only tell a first delivery from a later one, so they allow no more than 2.
   */
  QUEUE_DELIVERY_LIMIT: int(2, 20).default(2),

  REQUEST_TIMEOUT_MS: int(100, 120_000).default(10_000),
  MAX_PENDING: int(1, 1_000_000).default(20_000),
  MAX_BODY_BYTES: int(256, 1_048_576).default(16_384),
  WS_MAX_PAYLOAD_BYTES: int(256, 1_048_576).default(16_384),
  WS_IDLE_TIMEOUT_S: int(8, 960).default(120),
  WS_MAX_BACKPRESSURE_BYTES: int(1024, 64 * 1_048_576).default(1_048_576),
  WS_MAX_MESSAGES_PER_10S: int(1, 100_000).default(200),
  /** Requests one WebSocket may have in flight at once; past it a request is answered `overloaded`. */
  WS_MAX_IN_FLIGHT: int(1, 10_000).default(64),
  /** Longest request `id` a WebSocket client may choose (also the longest id GET /auth/results takes). */
  CLIENT_ID_MAX_LENGTH: int(8, 128).default(64),
  /** Peers whose X-Forwarded-For is believed (the nginx in front); comma-separated IPs. */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.union([z.ipv4(), z.ipv6()], { message: 'must list IP addresses' }))),
  RATE_LIMIT_IP_PER_MINUTE: int(1, 10_000_000).default(600),
  /**
   * Login attempts per account (email, from any IP) in LOGIN_ACCOUNT_WINDOW_S; a success gives its
   * point back. Past it the account answers 429 until the window ends: a soft lockout, never a lasting one.
   */
  LOGIN_ACCOUNT_MAX_FAILURES: int(1, 1_000_000).default(50),
  LOGIN_ACCOUNT_WINDOW_S: int(1, 86_400).default(900),
  /** Consecutive failures per (account, IP) before a lockout of BASE·2^(n-1) s (the n-th), at most MAX s. */
  LOGIN_FREE_FAILURES: int(1, 1000).default(5),
  LOGIN_BACKOFF_BASE_S: int(1, 3600).default(5),
  LOGIN_BACKOFF_MAX_S: int(1, 86_400).default(900),
  VERIFY_CACHE_SIZE: int(0, 10_000_000).default(100_000),

  JWT_ISSUER: z.string().min(1).default('authgate'),
  JWT_AUDIENCE: z.string().min(1).default('authgate'),
  ACCESS_TOKEN_TTL_S: int(30, 86_400).default(900),
  REFRESH_TOKEN_TTL_S: int(60, 365 * 86_400).default(30 * 86_400),
  /**
   * Concurrent refreshes of one token within this window get the same successor pair instead of
   * revoking the session as a reuse; a copy presented later still revokes it. 0 turns the window off.
   */
  REFRESH_GRACE_MS: int(0, 60_000).default(5_000),
  /** PKCS#8 PEM of the RS256 signing key: workers only. Generated into DATA_DIR in development. */
  JWT_PRIVATE_KEY: z.string().min(1).optional(),
  /** JWKS JSON of the verification keys: edges only. Derived from the private key in development. */
  JWT_PUBLIC_JWKS: z.string().min(1).optional(),
  /**
   * JWKS JSON of keys retired from signing that edges still accept and publish, until the last token
   * they signed has expired (ACCESS_TOKEN_TTL_S): the previous key during a rotation.
   */
  JWT_PREVIOUS_PUBLIC_JWKS: z.string().min(1).optional(),

  /**
   * The small HTTP listener of this process's Prometheus metrics (GET /metrics), never the public port.
   * Default by role: 9464 (all, edge), 9465 (worker), 9466 (api); 0 picks a free port; `off` turns
   * metrics off (nothing is counted then).
   */
  METRICS_PORT: z.union([z.literal('off'), int(0, 65535)]).optional(),
  /** Address of the metrics listener; default HOST. */
  METRICS_HOST: z.string().min(1).optional(),
  /** OTLP/HTTP collector (e.g. http://collector:4318): traces are exported there; unset, tracing is off and its SDK never loaded. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http:', 'https:']),
  /** service.name of the exported spans; default authgate-<target>. */
  OTEL_SERVICE_NAME: z.string().min(1).max(100).optional(),

  /** Account API (--target=api) only. In the all-in-one mode the edge's port answers its routes. */
  API_PORT: int(0, 65535).default(3001),
  /** Origins allowed to call the account API from a browser; none set means no CORS headers at all. */
  CORS_ORIGINS: commaList(z.url({ protocol: /^https?$/ }).refine((v) => URL.canParse(v) && new URL(v).origin === v, 'must be an origin: scheme://host[:port], no path')),
  /** User ids (token `sub`) that may use the admin routes, such as GET /users/by-email/:email. */
  ADMIN_USER_IDS: commaList(z.uuid()),
  /** GET /users/check-email per client IP: tight, since it tells whether an account exists. */
  CHECK_EMAIL_PER_MINUTE: int(1, 100_000).default(10),
});

export type Config = Omit<z.infer<typeof configSchema>, 'METRICS_PORT' | 'METRICS_HOST'> & {
  NODE_ID: string;
  PASSWORD_PREFETCH: number;
  METRICS_PORT: number | 'off';
  METRICS_HOST: string;
};

/** Where each role's metrics listen by default: one machine may run an edge, a worker and the api side by side. */
export const DEFAULT_METRICS_PORTS: Record<Target, number> = { all: 9464, edge: 9464, worker: 9465, api: 9466 };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `*_FILE` variants (Docker/Kubernetes secrets) are read in place of the value itself. */
function readFileVariables(env: NodeJS.ProcessEnv, readFile: (path: string) => string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of ['JWT_PRIVATE_KEY', 'JWT_PUBLIC_JWKS', 'JWT_PREVIOUS_PUBLIC_JWKS', 'DATABASE_URL', 'AMQP_URL', 'REDIS_URL']) {
    const file = env[`${name}_FILE`];
    if (file && !env[name]) out[name] = readFile(file).trim();
  }
  // An empty variable means "not set": it must not turn into an invalid URL or a zero.
  for (const [key, value] of Object.entries(out)) if (value === '') delete out[key];
  return out;
}

/**
 * Reads and checks every setting, collecting one clear message per bad or missing one.
 * In production a service refuses to start without the secrets its role needs.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  target: Target,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Config {
  const problems: string[] = [];
  let raw: Record<string, string | undefined>;
  try {
    raw = readFileVariables(env, readFile);
  } catch (err) {
    throw new ConfigError([`cannot read a *_FILE setting: ${(err as Error).message}`]);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // The variable itself, also for issues inside a parsed value (TRUSTED_PROXIES.0 is TRUSTED_PROXIES).
      const name = String(issue.path[0] ?? '(config)');
      const given = raw[name];
      const shown = given === undefined ? 'not set' : isSecretSetting(name) ? 'value hidden' : `got ${JSON.stringify(given)}`;
      problems.push(`${name}: ${issue.message} (${shown})`);
    }
    throw new ConfigError(problems);
  }
  const config = parsed.data;
  if (config.NODE_ENV === 'production') {
    if ((target === 'all' || target === 'worker') && !config.JWT_PRIVATE_KEY) problems.push('JWT_PRIVATE_KEY: required in production (PKCS#8 PEM, or JWT_PRIVATE_KEY_FILE)');
    if (target !== 'worker' && !config.JWT_PUBLIC_JWKS) problems.push('JWT_PUBLIC_JWKS: required in production (JWKS JSON, or JWT_PUBLIC_JWKS_FILE)');
    if (target !== 'all') {
      const brokers = target === 'api' ? (['REDIS_URL'] as const) : (['AMQP_URL', 'REDIS_URL'] as const);
      for (const name of brokers) if (!config[name]) problems.push(`${name}: required in production for the ${target} role`);
      if (target === 'worker' && !config.DATABASE_URL) problems.push('DATABASE_URL: required in production for the worker role');
    }
    if (config.BCRYPT_COST < 10) problems.push(`BCRYPT_COST: must be at least 10 in production (got ${config.BCRYPT_COST})`);
  }
  if (config.QUEUE_TYPE === 'classic' && config.QUEUE_DELIVERY_LIMIT > 2) {
    problems.push(`QUEUE_DELIVERY_LIMIT: above 2 needs QUEUE_TYPE=quorum; classic queues only tell a first delivery from a redelivery (got ${config.QUEUE_DELIVERY_LIMIT})`);
  }
  // An embedded database of its own would hold none of the users the workers write.
  if (target === 'api' && !config.DATABASE_URL) problems.push('DATABASE_URL: required for the api role (PostgreSQL shared with the workers)');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...config,
    NODE_ID: config.NODE_ID ?? newNodeId(),
    // Enough bcrypt jobs in hand to keep every thread busy while the next ones arrive, no more:
    // a deep prefetch would let commands expire in this process instead of in the queue.
    PASSWORD_PREFETCH: config.PASSWORD_PREFETCH ?? config.UV_THREADPOOL_SIZE * 2,
    METRICS_PORT: config.METRICS_PORT ?? DEFAULT_METRICS_PORTS[target],
    METRICS_HOST: config.METRICS_HOST ?? config.HOST,
  };
}

function isSecretSetting(name: string): boolean {
  return /KEY|JWKS|URL|SECRET|PASSWORD|PEPPER/.test(name);
}
