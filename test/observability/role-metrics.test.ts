import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import amqplib from 'amqplib';
import { AmqpEventBus } from '@authgate/shared/events/amqp-bus';
import { newAuditEvent } from '@authgate/shared/events/schema';
import { createLogger } from '@authgate/shared/logger';
import { AmqpMailQueue } from '@authgate/shared/mail/amqp-queue';
import { makeJob } from '../../services/mailer/test/support.ts';
import { TestSmtpServer } from '../../services/mailer/test/smtp.ts';
import { call } from '../helpers/http.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';

const log = createLogger({ level: 'silent', name: 'role-metrics-test' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One series' value from a /metrics text, or undefined when the series is not there. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(p: RunningProcess): Promise<string> {
  const answer = await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`);
  assert.equal(answer.status, 200);
  return answer.text();
}

/** Scrapes until `check` holds (the roles count behind their work: a batch commit, a mail's answer). */
async function scrapeUntil(p: RunningProcess, what: string, check: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape(p);
    if (check(text)) return text;
    if (Date.now() > end)
      assert.fail(
        `${p.target} /metrics: timed out waiting for ${what}\n${text
          .split('\n')
          .filter((l) => /^authgate_(mail|audit|api)/.test(l))
          .join('\n')}`,
      );
    await sleep(100);
  }
}

/** Every label value of every authgate_ series: none may be an id, an email or an address a client chose. */
function assertBoundedLabels(text: string, secrets: string[]): void {
  for (const line of text.split('\n').filter((l) => l.startsWith('authgate_'))) {
    for (const secret of secrets) assert.ok(!line.includes(secret), `a label holds ${secret}: ${line}`);
    assert.doesNotMatch(line, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, `a uuid in a label: ${line}`);
    assert.doesNotMatch(line, /@/, `an email in a label: ${line}`);
  }
}

/**
 * The metrics of the roles besides the edge and the worker's commands, each read from GET /metrics of
 * its own real process: the audit writer (beside a worker), the mailer (a real SMTP server that
 * accepts, refuses and asks to retry) and the account API (Fastify hooks, route templates as labels).
 */
describe('metrics of the mailer, the audit writer and the account API, scraped from their own processes', () => {
  const namespace = uniqueNamespace('role-metrics');
  const data = tempDir('role-metrics');
  const smtp = new TestSmtpServer();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let worker: RunningProcess;
  let api: RunningProcess;
  let mailer: RunningProcess;

  before(async () => {
    database = await createTestDatabase('role_metrics');
    await smtp.start();
    const common = { NAMESPACE: namespace, AMQP_URL, REDIS_URL, DATA_DIR: data.dir, BCRYPT_COST: '4', AUDIT_BATCH_SIZE: '50', AUDIT_BATCH_WAIT_MS: '20' };
    // The worker first: it migrates the database and makes the keys the API verifies with.
    worker = await startProcess('worker', { ...common, DATABASE_URL: database.url });
    [api, mailer] = await Promise.all([
      startProcess('api', { ...common, DATABASE_URL: database.url }),
      startProcess('mailer', {
        ...common,
        SMTP_URL: smtp.url,
        MAIL_RETRY_BASE_MS: '50',
        MAIL_RETRY_MAX_MS: '100',
        MAIL_FROM: 'Example <no-reply@example.com>',
      }),
    ]);
  });
  after(async () => {
    for (const p of [mailer, api, worker]) await p?.stop();
    await smtp.stop();
    await database?.drop();
    await cleanupNamespace(namespace);
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.deleteQueue(`${namespace}.audit`);
    await channel.deleteExchange(`${namespace}.events`);
    await connection.close();
    data.remove();
  });

  test('audit writer: rows written, batches and their write latency, a repeated event skipped as a duplicate', async () => {
    const bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 1_000_000, publishTimeoutMs: 5_000, log });
    try {
      await bus.waitForConnect();
      const events = Array.from({ length: 120 }, (_, i) => newAuditEvent({ type: 'login.failed', ip: '192.0.2.1', data: { i } }));
      for (const event of events) await bus.publish(event);
      await scrapeUntil(worker, '120 rows written', (t) => sample(t, 'authgate_audit_rows_written_total') === 120);
      // The same event again (a publisher's retry): stored once, counted as skipped.
      await bus.publish(events[0]!);
      const text = await scrapeUntil(worker, 'a duplicate skipped', (t) => sample(t, 'authgate_audit_duplicates_skipped_total') === 1);
      assert.equal(sample(text, 'authgate_audit_rows_written_total'), 120);
      const batches = sample(text, 'authgate_audit_batches_total{outcome="written"}')!;
      assert.ok(batches >= 3, `120 events in batches of at most 50: ${batches} batches`);
      assert.equal(sample(text, 'authgate_audit_batches_total{outcome="failed"}'), 0);
      assert.equal(sample(text, 'authgate_audit_write_duration_seconds_count'), batches);
      assert.ok(sample(text, 'authgate_audit_write_duration_seconds_sum')! > 0);
      assert.equal(sample(text, 'authgate_audit_redeliveries_total'), 0);
    } finally {
      await bus.close();
    }
  });

  test('audit writer: an event PostgreSQL cannot store is set aside and counted; the events around it are written', async () => {
    const bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 1_000_000, publishTimeoutMs: 5_000, log });
    try {
      await bus.waitForConnect();
      const before = sample(await scrape(worker), 'authgate_audit_rows_written_total')!;
      await bus.publish(newAuditEvent({ type: 'login.failed', data: { i: 'before' } }));
      await bus.publish(newAuditEvent({ type: 'login.failed', deviceId: 'a\u0000b', data: {} }));
      await bus.publish(newAuditEvent({ type: 'login.failed', data: { i: 'after' } }));
      const text = await scrapeUntil(worker, 'one event set aside', (t) => sample(t, 'authgate_audit_events_set_aside_total') === 1);
      await scrapeUntil(worker, 'the two others written', (t) => sample(t, 'authgate_audit_rows_written_total') === before + 2);
      assert.equal(sample(text, 'authgate_audit_batches_total{outcome="failed"}'), 0, 'no batch put back');
    } finally {
      await bus.close();
    }
  });

  test('mailer: jobs sent, retried and set aside by kind; time per job', async () => {
    // The lanes' lengths as the processes declared them (the defaults): a declaration must match.
    const lane = new AmqpMailQueue({ url: AMQP_URL, namespace, maxLength: 100_000, publishTimeoutMs: 5_000, log });
    try {
      await lane.waitForConnect();
      for (let i = 0; i < 3; i++) await lane.publish(makeJob('verify_email'));
      await scrapeUntil(mailer, '3 verify_email sent', (t) => sample(t, 'authgate_mail_jobs_total{kind="verify_email",outcome="sent"}') === 3);
      // A permanent refusal (550): set aside.
      smtp.behaviour = { mode: 'refuse', code: 550 };
      await lane.publish(makeJob('password_reset'));
      await scrapeUntil(
        mailer,
        'a password_reset set aside',
        (t) => sample(t, 'authgate_mail_set_aside_total{kind="password_reset",reason="smtp_rejected"}') === 1,
      );
      // A temporary one (451): retried until the server takes it.
      smtp.behaviour = { mode: 'refuse', code: 451 };
      await lane.publish(makeJob('new_sign_in'));
      await scrapeUntil(mailer, 'a retry', (t) => (sample(t, 'authgate_mail_send_retries_total{kind="new_sign_in"}') ?? 0) >= 1);
      smtp.behaviour = { mode: 'accept' };
      const text = await scrapeUntil(mailer, 'the new_sign_in sent', (t) => sample(t, 'authgate_mail_jobs_total{kind="new_sign_in",outcome="sent"}') === 1);
      assert.equal(sample(text, 'authgate_mail_jobs_total{kind="password_reset",outcome="set_aside"}'), 1);
      assert.equal(sample(text, 'authgate_mail_jobs_total{kind="verify_email",outcome="set_aside"}'), 0);
      assert.equal(sample(text, 'authgate_mail_job_duration_seconds_count{kind="verify_email"}'), 3);
      assert.equal(sample(text, 'authgate_mail_job_duration_seconds_count{kind="new_sign_in"}'), 1);
      assertBoundedLabels(text, ['ada@example.com']);
    } finally {
      await lane.close();
    }
  });

  test('account API: requests by route template, method and status, and latency; never the raw URL', async () => {
    const someone = randomUUID();
    assert.equal((await call(api.url, 'GET', '/health')).status, 200);
    assert.equal((await call(api.url, 'GET', `/admin/analytics/users/${someone}`)).status, 401);
    assert.equal((await call(api.url, 'GET', `/admin/analytics/users/${randomUUID()}`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await call(api.url, 'GET', `/no/such/route/${someone}?email=ada@example.com`)).status, 404);
    const text = await scrape(api);
    assert.equal(sample(text, 'authgate_api_requests_total{route="/health",method="GET",status="200"}'), 1);
    assert.equal(sample(text, 'authgate_api_requests_total{route="/admin/analytics/users/:userId",method="GET",status="401"}'), 2);
    assert.equal(sample(text, 'authgate_api_requests_total{route="unmatched",method="GET",status="404"}'), 1);
    assert.equal(sample(text, 'authgate_api_request_duration_seconds_count{route="/admin/analytics/users/:userId",method="GET"}'), 2);
    assert.equal(sample(text, 'authgate_api_request_duration_seconds_bucket{route="/health",method="GET",le="+Inf"}'), 1);
    assert.ok(sample(text, 'process_resident_memory_bytes')! > 0, 'the default process metrics too');
    assertBoundedLabels(text, [someone, 'ada@example.com', '/no/such']);
  });
});
