import { readFileSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { PASSKEY_CHALLENGE_TTL_S } from '@authgate/features/passkeys/contract';
import { STUFFING_SETTINGS } from '@authgate/features/stuffing/contract';
import { newNodeId, isValidNodeId } from './ids.ts';

/** The roles one process can play; `all` runs every role in one process with embedded defaults. */
export const TARGETS = ['all', 'edge', 'worker', 'api', 'mailer', 'audit'] as const;
export type Target = (typeof TARGETS)[number];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`)
    .optional();

/** A comma-separated list of URLs (every node of a broker cluster), kept as the string it was given. */
const optionalUrlList = (protocols: string[]) =>
  z
    .string()
    .refine(
      (v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .every((u) => URL.canParse(u) && protocols.includes(new URL(u).protocol)),
      `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}, or a comma-separated list of them`,
    )
    .optional();

const commaList = (item: z.ZodType<string, string>) =>
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Unset: `pretty` (readable lines) in development, JSON lines in test and production. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(8080),
  NODE_ID: z.string().refine(isValidNodeId, 'must be 1-32 characters of a-z, 0-9 and -').optional(),
  /** Namespaces queue names and Redis keys so several deployments (or test runs) can share brokers. */
  NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]{1,40}$/, 'must be 1-40 characters of a-z, 0-9, _ and -')
    .default('authgate'),
  DATA_DIR: z.string().min(1).default('.data'),

  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  /** Connections each process keeps to PostgreSQL (DATABASE_URL). */
  DATABASE_POOL_SIZE: int(1, 1000).default(10),
  /**
   * RabbitMQ: one URL, or every node of a RabbitMQ cluster comma-separated (the connection manager
   * moves to the next one when a node goes away).
   */
  AMQP_URL: optionalUrlList(['amqp:', 'amqps:']),
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  /**
   * A Redis Cluster instead of one Redis: some of its nodes as `host:port`, comma-separated (the rest
   * are discovered). Every Redis use moves to the cluster; node channels use sharded pub/sub. Not
   * together with REDIS_URL.
   */
  /** The password of every Redis Cluster node (AUTH), if the cluster asks for one; a secret. */
  REDIS_CLUSTER_PASSWORD: z.string().min(1).optional(),
  REDIS_CLUSTER_NODES: commaList(z.string().regex(/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must list host:port entries')),

  BCRYPT_COST: int(4, 15).default(12),
  UV_THREADPOOL_SIZE: int(1, 128).default(os.availableParallelism()),
  /**
   * Priority of the threads bcrypt runs on (worker and all-in-one; set by bin/threadpool.cjs before
   * they start, Linux only): a login storm takes the CPU edges leave, not theirs. A nice value 0-19
   * (0 leaves them as they are), or `idle`: SCHED_IDLE, run only when no other thread wants the CPU.
   */
  BCRYPT_NICE: z.union([z.literal('idle'), int(0, 19)]).default(10),
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
  /**
   * Share of REQUEST_TIMEOUT_MS a register/login may be expected to wait on the password lane (its
   * commands in flight from this edge ÷ the rate they are answered); past it the edge answers
   * `503 overloaded` with Retry-After at once instead of a 504 at the deadline. 0 turns the check off.
   */
  OVERLOAD_ADMIT_SHARE: z.coerce.number().min(0).max(1).default(0.75),
  MAX_BODY_BYTES: int(256, 1_048_576).default(16_384),
  WS_MAX_PAYLOAD_BYTES: int(256, 1_048_576).default(16_384),
  WS_IDLE_TIMEOUT_S: int(8, 960).default(120),
  WS_MAX_BACKPRESSURE_BYTES: int(1024, 64 * 1_048_576).default(1_048_576),
  WS_MAX_MESSAGES_PER_10S: int(1, 100_000).default(200),
  /** Requests one WebSocket may have in flight at once; past it a request is answered `overloaded`. */
  WS_MAX_IN_FLIGHT: int(1, 10_000).default(64),
  /** Longest request `id` a WebSocket client may choose. */
  CLIENT_ID_MAX_LENGTH: int(8, 128).default(64),
  /** Peers whose X-Forwarded-For is believed (the nginx in front); comma-separated IPs. */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.union([z.ipv4(), z.ipv6()], { message: 'must list IP addresses' }))),
  RATE_LIMIT_IP_PER_MINUTE: int(1, 10_000_000).default(600),
  /**
   * The most register/login commands one client source (an IPv4 address, an IPv6 /64) may have in
   * flight or queued at once, across every edge: past it, 429 at once. Not what keeps one source from
   * holding the password lane (the lane's rounds share it fairly: docs/shared-addresses.md), only a
   * bound on what one source's queued commands may take; generous, so that an office or a carrier's
   * NAT behind one address is not refused while there is room.
   */
  PASSWORD_WORK_PER_SOURCE: int(1, 10_000).default(100),
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
  /**
   * New-device approval: `on`, a sign-in to an account that has signed in before, from a deviceId it
   * never completed one from, waits for an approval from another session or the emailed code; `off`
   * lets it through (devices are still recorded).
   */
  DEVICE_VERIFICATION: z.enum(['on', 'off']).default('on'),
  /**
   * New-device code mails, and `device.approval_requested` prompts, one account is sent per hour.
   * Past it a new device's sign-in still answers `device_verification_required` (with `notified:
   * false`), and nothing is sent: a password thief cannot bomb the owner with prompts.
   */
  DEVICE_MAILS_PER_HOUR: int(1, 1000).default(5),
  /**
   * How long a passkey ceremony's challenge waits for its answer, at most the contract's 5 minutes
   * (lower it to expire them sooner; tests do, to watch one expire).
   */
  PASSKEY_CHALLENGE_TTL_S: int(1, PASSKEY_CHALLENGE_TTL_S).default(PASSKEY_CHALLENGE_TTL_S),
  /** Credential stuffing defence and the breached-password check (features/stuffing/docs.md). */
  ...STUFFING_SETTINGS,

  JWT_ISSUER: z.string().min(1).default('authgate'),
  JWT_AUDIENCE: z.string().min(1).default('authgate'),
  /** Down to 2 s so that tests can watch a token expire; deployments keep minutes. */
  ACCESS_TOKEN_TTL_S: int(2, 86_400).default(900),
  REFRESH_TOKEN_TTL_S: int(60, 365 * 86_400).default(30 * 86_400),
  /**
   * Concurrent refreshes of one token within this window get the same successor pair instead of
   * revoking the session as a reuse; a copy presented later still revokes it. 0 turns the window off.
   */
  REFRESH_GRACE_MS: int(0, 60_000).default(5_000),
  /**
   * The access tokens' signature: RS256 (the contract's default) or ES256 (ECDSA P-256, opt-in). Workers
   * sign with it, edges and the API accept only it; keys must be of its kind.
   */
  JWT_ALG: z.enum(['RS256', 'ES256']).default('RS256'),
  /** PKCS#8 PEM of the signing key (RSA, or EC P-256 for ES256): workers only. Generated into DATA_DIR in development. */
  JWT_PRIVATE_KEY: z.string().min(1).optional(),
  /** JWKS JSON of the verification keys: edges only. Derived from the private key in development. */
  JWT_PUBLIC_JWKS: z.string().min(1).optional(),
  /**
   * JWKS JSON of keys retired from signing that edges still accept and publish, until the last token
   * they signed has expired (ACCESS_TOKEN_TTL_S): the previous key during a rotation.
   */
  JWT_PREVIOUS_PUBLIC_JWKS: z.string().min(1).optional(),

  /**
   * Edges only: the secret each request's result-sealing key is derived from (HKDF), shared by every
   * edge of a deployment. At least 32 characters. Generated into DATA_DIR in development.
   */
  RESULT_SEALING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),

  /**
   * Workers only: the key TOTP secrets are sealed with at rest (AES-256-GCM, its key derived by HKDF),
   * the same on every worker. At least 32 characters. Generated into DATA_DIR in development.
   */
  MFA_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * Wrong second-factor codes (TOTP or recovery, at login, confirm or disable) per account, and per
   * client IP, in MFA_FAILURE_WINDOW_S; past either, 429 until the window ends (docs/second-factor.md).
   */
  MFA_ACCOUNT_MAX_FAILURES: int(1, 1_000_000).default(10),
  MFA_IP_MAX_FAILURES: int(1, 1_000_000).default(30),
  MFA_FAILURE_WINDOW_S: int(60, 86_400).default(3600),

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

  /**
   * The edge's Strict-Transport-Security value, on every answer; `off` for none. Keep it where this
   * deployment's TLS ends at a proxy that does not add it (browsers ignore it over plain HTTP).
   */
  STRICT_TRANSPORT_SECURITY: z
    .string()
    .regex(/^(off|max-age=\d+(; ?includeSubDomains)?(; ?preload)?)$/, 'must be off or max-age=N[; includeSubDomains][; preload]')
    .default('max-age=31536000; includeSubDomains'),
  /** Account API (--target=api) only. In the all-in-one mode the edge's port answers its routes. */
  API_PORT: int(0, 65535).default(3001),
  /** Origins allowed to call the account API from a browser; none set means no CORS headers at all. */
  CORS_ORIGINS: commaList(
    z.url({ protocol: /^https?$/ }).refine((v) => URL.canParse(v) && new URL(v).origin === v, 'must be an origin: scheme://host[:port], no path'),
  ),
  /** User ids (token `sub`) that may use the admin routes, such as GET /users/by-email/:email. */
  ADMIN_USER_IDS: commaList(z.uuid()),
  /** Accounts whose verified email is listed are administrators too (the way to name the first one before any id is known). */
  ADMIN_EMAILS: commaList(z.email().max(254)).transform((emails) => emails.map((email) => email.toLowerCase())),
  /**
   * OpenID clients (features/oidc): a JSON array of RFC 7591 client metadata (`client_id`,
   * `client_secret`, `redirect_uris`, ..., `first_party`). A secret: it may hold client secrets.
   */
  OIDC_CLIENTS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of client metadata objects' });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.looseObject({ client_id: z.string().min(1).max(200) }), { message: 'must be a JSON array of client metadata objects with client_id' }))
    .default([]),
  /** The OpenID provider's signing key (ID and logout tokens): PKCS#8 PEM, RSA. The API processes only. Generated into DATA_DIR in development. */
  OIDC_SIGNING_KEY: z.string().min(1).optional(),
  /**
   * PKCS#8 PEM keys (concatenated) published in the provider's JWKS without signing: the next key before
   * it signs, the previous one until what it signed has expired (docs/security.md, key rotation).
   */
  OIDC_OTHER_SIGNING_KEYS: z.string().min(1).optional(),
  /** Keys the provider's cookies are signed with, comma-separated, newest first; each at least 32 characters, the same on every API process. */
  OIDC_COOKIE_KEYS: commaList(z.string().min(32, 'each key must be at least 32 characters')),
  /**
   * Origins (scheme://host[:port]) of back-channel logout endpoints allowed to resolve to a private or
   * loopback address; the provider refuses every other such address (SSRF guard).
   */
  OIDC_PRIVATE_BACKCHANNEL_ORIGINS: commaList(
    z.url({ protocol: /^https?$/ }).refine((v) => URL.canParse(v) && new URL(v).origin === v, 'must be an origin: scheme://host[:port], no path'),
  ),
  /**
   * The OpenAPI UI and document at /docs (account API): `on` or `off`. Not set: off in production,
   * where a map of every route helps only an attacker, on elsewhere.
   */
  API_DOCS: z.enum(['on', 'off']).optional(),
  /** GET /users/check-email per client IP: tight, since it tells whether an account exists. */
  CHECK_EMAIL_PER_MINUTE: int(1, 100_000).default(10),

  /**
   * The mailer's SMTP server, e.g. smtps://user:pass@smtp.example.com:465 (a secret: it may hold
   * credentials). Not set: each mail is written as an .eml file under DATA_DIR/outbox/ instead.
   */
  SMTP_URL: optionalUrl(['smtp:', 'smtps:']),
  /** The From of every mail: an address, or `Name <address>`. */
  MAIL_FROM: z
    .string()
    .max(320)
    .regex(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'must be an address or "Name <address>"')
    .default('authgate <no-reply@localhost>'),
  /**
   * Where users reach authgate: the base of every link in a mail (never the request's Host header).
   * An http(s) URL, with a path if authgate sits under one; no query or fragment. Required in
   * production by the roles that build links (PUBLIC_URL_ROLES); in development it defaults to this
   * machine at the gateway's own port (developmentPublicUrl).
   */
  PUBLIC_URL: z
    .string()
    .refine(
      (v) => URL.canParse(v) && ['http:', 'https:'].includes(new URL(v).protocol) && !new URL(v).search && !new URL(v).hash && !new URL(v).username,
      'must be an http(s) URL without query, fragment or credentials',
    )
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  /**
   * `on`: login of an account whose email address is not verified answers 403 `email_not_verified`
   * (after the right password) and mails a new verification link. Default `off`.
   */
  REQUIRE_VERIFIED_EMAIL: z
    .enum(['on', 'off', 'true', 'false'])
    .default('off')
    .transform((v) => v === 'on' || v === 'true'),
  /** Verification mails one account may ask for per hour (POST /auth/email/resend, or a refused login); past it 429. */
  EMAIL_RESEND_PER_HOUR: int(1, 1000).default(3),
  /** Reset mails sent per account per hour; forgot requests past it still answer 202 but send nothing. */
  PASSWORD_RESET_MAILS_PER_HOUR: int(1, 1000).default(3),
  /**
   * Security notices of each kind (a sign-in from a new device, a refresh token used twice) mailed per
   * account per hour: whoever knows the password or holds a stolen token can cause them, so past it
   * the event is still audited and sent live, but not mailed.
   */
  SECURITY_NOTICE_MAILS_PER_HOUR: int(1, 1000).default(3),
  /** Mail jobs one mailer holds at once (sending, or waiting to retry). */
  MAIL_PREFETCH: int(1, 1000).default(16),
  /** SMTP connections in the mailer's pool. */
  MAIL_SMTP_CONNECTIONS: int(1, 100).default(5),
  /** A temporary SMTP failure (4xx, unreachable) is retried after BASE·2^(n-1) ms (±50 %), at most MAX. */
  MAIL_RETRY_BASE_MS: int(10, 600_000).default(1_000),
  MAIL_RETRY_MAX_MS: int(10, 3_600_000).default(60_000),
  /** Audit events the bus holds while the audit writer is away; past it publishes are refused. */
  EVENTS_QUEUE_MAX_LENGTH: int(1_000, 100_000_000).default(1_000_000),
  /** The audit writer inserts a batch once it holds AUDIT_BATCH_SIZE events or its first waited AUDIT_BATCH_WAIT_MS. */
  AUDIT_BATCH_SIZE: int(1, 10_000).default(500),
  AUDIT_BATCH_WAIT_MS: int(1, 60_000).default(200),
  /** Whole months of audit events older than this are dropped (a month goes once all of it is past). */
  AUDIT_RETENTION_DAYS: int(1, 36_500).default(365),
  /** POST /events per user per minute. */
  APP_EVENTS_PER_MINUTE: int(1, 1_000_000).default(60),
});

export type Config = Omit<z.infer<typeof configSchema>, 'API_DOCS' | 'METRICS_PORT' | 'METRICS_HOST' | 'PUBLIC_URL' | 'LOG_FORMAT'> & {
  NODE_ID: string;
  LOG_FORMAT: 'json' | 'pretty';
  PUBLIC_URL: string;
  PASSWORD_PREFETCH: number;
  API_DOCS: boolean;
  METRICS_PORT: number | 'off';
  METRICS_HOST: string;
};

/**
 * The roles that put PUBLIC_URL into what they send: the mailer builds every mail link from it, the
 * account API's OpenID provider names itself by it (the issuer), and the all-in-one runs both. In
 * production they refuse to start without it: a link to localhost in a user's mail leads nowhere.
 * (Workers only queue the tokens; edges build no links.)
 */
export const PUBLIC_URL_ROLES: ReadonlySet<Target> = new Set(['all', 'mailer', 'api']);

/** PUBLIC_URL in development when none is set: this machine, at the gateway's own port (PORT). */
export function developmentPublicUrl(port: number): string {
  return `http://localhost:${port}`;
}

/** Where each role's metrics listen by default: one machine may run an edge, a worker and the api side by side. */
export const DEFAULT_METRICS_PORTS: Record<Target, number> = { all: 9464, edge: 9464, worker: 9465, api: 9466, mailer: 9467, audit: 9468 };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `*_FILE` variants (Docker/Kubernetes secrets) are read in place of the value itself. */
function readFileVariables(env: NodeJS.ProcessEnv, readFile: (path: string) => string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of [
    'JWT_PRIVATE_KEY',
    'JWT_PUBLIC_JWKS',
    'JWT_PREVIOUS_PUBLIC_JWKS',
    'RESULT_SEALING_SECRET',
    'MFA_ENCRYPTION_KEY',
    'DATABASE_URL',
    'AMQP_URL',
    'REDIS_URL',
    'REDIS_CLUSTER_PASSWORD',
    'SMTP_URL',
    'OIDC_CLIENTS',
    'OIDC_SIGNING_KEY',
    'OIDC_OTHER_SIGNING_KEYS',
    'OIDC_COOKIE_KEYS',
  ]) {
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
export function loadConfig(env: NodeJS.ProcessEnv, target: Target, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Config {
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
    if ((target === 'all' || target === 'worker') && !config.JWT_PRIVATE_KEY)
      problems.push('JWT_PRIVATE_KEY: required in production (PKCS#8 PEM, or JWT_PRIVATE_KEY_FILE)');
    if (target !== 'worker' && target !== 'mailer' && target !== 'audit' && !config.JWT_PUBLIC_JWKS)
      problems.push('JWT_PUBLIC_JWKS: required in production (JWKS JSON, or JWT_PUBLIC_JWKS_FILE)');
    if ((target === 'all' || target === 'edge') && !config.RESULT_SEALING_SECRET)
      problems.push(
        'RESULT_SEALING_SECRET: required in production for edges (at least 32 random characters, the same on every edge, or RESULT_SEALING_SECRET_FILE)',
      );
    // The OpenID provider runs in the account API: its signing key and cookie keys live there only.
    if ((target === 'all' || target === 'api') && !config.OIDC_SIGNING_KEY)
      problems.push('OIDC_SIGNING_KEY: required in production for the api role (PKCS#8 PEM, RSA, or OIDC_SIGNING_KEY_FILE)');
    if ((target === 'all' || target === 'api') && config.OIDC_COOKIE_KEYS.length === 0)
      problems.push(
        'OIDC_COOKIE_KEYS: required in production for the api role (at least 32 random characters, the same on every API process, or OIDC_COOKIE_KEYS_FILE)',
      );
    if ((target === 'all' || target === 'worker') && !config.MFA_ENCRYPTION_KEY)
      problems.push(
        'MFA_ENCRYPTION_KEY: required in production for workers (at least 32 random characters, the same on every worker, or MFA_ENCRYPTION_KEY_FILE)',
      );
    if (target !== 'all') {
      const brokers =
        target === 'api'
          ? // RabbitMQ: the API's audit events (POST /events, administrators' actions) and its mail jobs (notices) travel on it.
            (['AMQP_URL', 'REDIS_URL'] as const)
          : target === 'mailer'
            ? (['AMQP_URL', 'SMTP_URL'] as const)
            : target === 'audit'
              ? (['AMQP_URL', 'DATABASE_URL'] as const)
              : (['AMQP_URL', 'REDIS_URL'] as const);
      for (const name of brokers) {
        if (name === 'REDIS_URL' && config.REDIS_CLUSTER_NODES.length > 0) continue;
        if (!config[name]) problems.push(`${name}: required in production for the ${target} role${name === 'REDIS_URL' ? ' (or REDIS_CLUSTER_NODES)' : ''}`);
      }
      if (target === 'worker' && !config.DATABASE_URL) problems.push('DATABASE_URL: required in production for the worker role');
    }
    // Links to localhost in a production mail lead nowhere: the public address must be said.
    if (PUBLIC_URL_ROLES.has(target) && config.PUBLIC_URL === undefined)
      problems.push(
        `PUBLIC_URL: required in production for the ${target} role (the https address users reach authgate at: every link in a mail starts with it, and it is the OpenID issuer)`,
      );
    // The embedded PGlite is for development: in production the password hashes live in PostgreSQL.
    if (target === 'all' && !config.DATABASE_URL)
      problems.push('DATABASE_URL: required in production for the all-in-one role (the embedded database is for development)');
    if (config.BCRYPT_COST < 10) problems.push(`BCRYPT_COST: must be at least 10 in production (got ${config.BCRYPT_COST})`);
  }
  if (config.QUEUE_TYPE === 'classic' && config.QUEUE_DELIVERY_LIMIT > 2) {
    problems.push(
      `QUEUE_DELIVERY_LIMIT: above 2 needs QUEUE_TYPE=quorum; classic queues only tell a first delivery from a redelivery (got ${config.QUEUE_DELIVERY_LIMIT})`,
    );
  }
  if (config.REDIS_URL && config.REDIS_CLUSTER_NODES.length > 0)
    problems.push('REDIS_CLUSTER_NODES: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  // An embedded database of its own would hold none of the users the workers write.
  if (target === 'api' && !config.DATABASE_URL) problems.push('DATABASE_URL: required for the api role (PostgreSQL shared with the workers)');
  if (config.MAIL_RETRY_MAX_MS < config.MAIL_RETRY_BASE_MS)
    problems.push(`MAIL_RETRY_MAX_MS: must be at least MAIL_RETRY_BASE_MS (got ${config.MAIL_RETRY_MAX_MS} < ${config.MAIL_RETRY_BASE_MS})`);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...config,
    NODE_ID: config.NODE_ID ?? newNodeId(),
    LOG_FORMAT: config.LOG_FORMAT ?? (config.NODE_ENV === 'development' ? 'pretty' : 'json'),
    PUBLIC_URL: config.PUBLIC_URL ?? developmentPublicUrl(config.PORT),
    API_DOCS: config.API_DOCS === undefined ? config.NODE_ENV !== 'production' : config.API_DOCS === 'on',
    // Enough bcrypt jobs in hand to keep every thread busy while the next ones arrive, no more:
    // a deep prefetch would let commands expire in this process instead of in the queue.
    PASSWORD_PREFETCH: config.PASSWORD_PREFETCH ?? config.UV_THREADPOOL_SIZE * 2,
    METRICS_PORT: config.METRICS_PORT ?? DEFAULT_METRICS_PORTS[target],
    METRICS_HOST: config.METRICS_HOST ?? config.HOST,
  };
}

function isSecretSetting(name: string): boolean {
  return /KEY|JWKS|URL|SECRET|PASSWORD|PEPPER|OIDC_CLIENTS/.test(name);
}
