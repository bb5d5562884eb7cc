import pino, { type Logger } from 'pino';

/**
 * Redaction is the last line of defence: code never logs secrets on purpose, and any field that
 * could hold one is censored wherever it appears in a logged object.
 */
const SECRET_FIELDS = ['password', 'refreshToken', 'accessToken', 'token', 'hash', 'passwordHash', 'privateKey', 'authorization', 'cookie', 'secret', 'code'];
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export type { Logger };

export function createLogger(options: { level: string; name: string; nodeId?: string }): Logger {
  return pino({
    level: options.level,
    name: options.name,
    base: { pid: process.pid, ...(options.nodeId ? { node: options.nodeId } : {}) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Only our own message is kept from an error: driver errors can quote connection strings.
    serializers: { err: (err: Error) => ({ type: err?.name, message: redactUrls(String(err?.message ?? err)) }) },
  });
}

/** Strips credentials from URLs that appear in a message (amqp://user:pass@host → amqp://***@host). */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
}
