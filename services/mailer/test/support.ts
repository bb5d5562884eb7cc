import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import { createLogger, type Logger } from '@authgate/shared/logger';
import type { MailJob, MailKind } from '@authgate/shared/mail/job';
import type { MailerConfig } from '../src/index.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A logger whose every line is kept, as written (after redaction), for the "no secret in a log line" checks. */
export function capturedLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, next) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      next();
    },
  });
  return { log: createLogger({ level: 'debug', name: 'mailer-test', destination }), lines };
}

/** The secret parts of a job: its token, its code, and the links built from them. */
export function secretsOf(job: MailJob): string[] {
  const data = job.data as { token?: string; code?: string };
  return [data.token, data.code].filter((s): s is string => typeof s === 'string');
}

/** No captured line holds any of the secrets (a link holds its token, so the token is enough). */
export function assertNoSecretsLogged(lines: string[], jobs: MailJob[]): void {
  assert.ok(lines.length > 0, 'the mailer logged something');
  for (const secret of jobs.flatMap(secretsOf)) {
    const leaked = lines.find((line) => line.includes(secret));
    assert.equal(leaked, undefined, 'a log line holds a link, token or code');
  }
  assert.equal(
    lines.find((line) => /verify-email|reset-password/.test(line)),
    undefined,
    'a log line holds a link',
  );
}

const origin = () => ({ ip: '203.0.113.7', userAgent: 'Firefox/128 <script>alert(1)</script> "quoted" & more', at: '2026-01-31T14:05:00.000Z' });

/** A valid job of each kind, with fresh secrets. */
export function makeJob(kind: MailKind, to = 'ada@example.com'): MailJob {
  const common = { v: 1 as const, id: randomUUID(), to, createdAt: new Date().toISOString() };
  switch (kind) {
    case 'verify_email':
    case 'password_reset':
      return { ...common, kind, data: { token: randomBytes(32).toString('base64url') } };
    case 'device_code':
      return { ...common, kind, data: { code: String(100000 + (randomBytes(4).readUInt32BE() % 900000)), expiresInMinutes: 10, ...origin() } };
    default:
      return { ...common, kind, data: origin() };
  }
}

export function mailerConfig(overrides: Partial<MailerConfig>): MailerConfig {
  return {
    SMTP_URL: undefined,
    MAIL_FROM: 'Example <no-reply@example.com>',
    PUBLIC_URL: 'https://auth.example.com/app',
    DATA_DIR: '.data',
    MAIL_PREFETCH: 8,
    MAIL_SMTP_CONNECTIONS: 2,
    MAIL_RETRY_BASE_MS: 100,
    MAIL_RETRY_MAX_MS: 1_000,
    ...overrides,
  };
}
