import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Redaction is the last line of defence: code never logs secrets on purpose. Two nets catch what
 * slips through anyway:
 *
 * - by name: a field whose name says it holds a secret is censored at any depth. pino's `redact`
 *   (fast-redact) only takes fixed paths, so it censors the common ones and `scrub` walks the rest;
 * - by shape: a string that looks like a secret authgate issues or stores (a JWT, a refresh token, a
 *   bcrypt hash, a PEM private key, credentials in a URL) is censored wherever it appears: in any
 *   field, in the message, in an error's message. No library does this for pino, hence the walk.
 */
const SECRET_FIELDS = [
  'password',
  'refreshToken',
  'accessToken',
  'token',
  'hash',
  'passwordHash',
  'privateKey',
  'authorization',
  'cookie',
  'secret',
  'code',
  'verificationId',
];
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);
export const REDACTED = '[redacted]';

/** Field names that hold secrets: exact `code`, or ending in one of these words (passwordHash, x-api-key, verificationId...). */
const SECRET_NAME = /(?:^code$|verificationid|password|passwd|secret|token|hash|authorization|cookie|pepper|private_?key|api_?key|sealed|successor)$/i;

const SECRET_SHAPES: ReadonlyArray<RegExp> = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, // PEM private keys
  /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, // JWTs (a JSON header always starts eyJ), signed or not
  /\brt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}/g, // refresh tokens
  /\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/g, // bcrypt hashes
];
const MAX_DEPTH = 8;

/** Censors every secret-shaped part of a text; URLs keep their host but lose their credentials. */
export function scrubText(text: string): string {
  let out = redactUrls(text);
  for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

/** A copy of a log object with secret-named fields and secret-shaped strings censored, at any depth. */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
  if (value instanceof Error) return { type: value.name, message: scrubText(String(value.message)) };
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[key] = SECRET_NAME.test(key) && item !== undefined && item !== null ? REDACTED : scrub(item, depth + 1, seen);
  return out;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export type { Logger };

/** `json`: one JSON object a line, for machines (production, tests, the cluster's readers); `pretty`: for people. */
export type LogFormat = 'json' | 'pretty';

export function createLogger(options: { level: string; name: string; nodeId?: string; destination?: DestinationStream; format?: LogFormat }): Logger {
  const destination = options.format === 'pretty' ? prettyDestination(options.destination) : options.destination;
  const logger = pino(
    {
      level: options.level,
      name: options.name,
      base: { pid: process.pid, ...(options.nodeId ? { node: options.nodeId } : {}) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // Only our own message is kept from an error: driver errors can quote connection strings.
      serializers: { err: (err: Error) => ({ type: err?.name, message: scrubText(String(err?.message ?? err)) }) },
      formatters: {
        log: (object) => scrub(object) as Record<string, unknown>,
        bindings: (bindings) => scrub(bindings) as Record<string, unknown>,
      },
      hooks: {
        // The message and any printf-style arguments are text too.
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  // pino applies formatters.bindings to the root only; a child's bindings are scrubbed here. Children
  // inherit from their parent, so this one wrapper covers grandchildren too.
  const child = logger.child;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, scrub(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}

/**
 * Readable lines (time, level, message, then the other fields on the same line) by pino-pretty, fed
 * with the JSON line pino has already made: the formatters and hooks above censor before
 * serialising, so what pino-pretty prints is censored the same way. Loaded only when asked for, so
 * that a process logging JSON never loads it. Colours only on a terminal.
 */
function prettyDestination(destination: DestinationStream | undefined): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty({
    destination: destination ?? 1,
    sync: true,
    colorize: destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,node',
    singleLine: true,
  });
}

/** Strips credentials from URLs that appear in a message (amqp://user:pass@host → amqp://***@host). */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
}
