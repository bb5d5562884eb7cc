import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AmqpMailQueue } from '@authgate/shared/mail/amqp-queue';
import type { MailJob } from '@authgate/shared/mail/job';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';
import { startMailer, type MailerHandle } from '../src/index.ts';
import { TestSmtpServer } from './smtp.ts';
import { assertNoSecretsLogged, capturedLogger, mailerConfig, makeJob, sleep, waitFor } from './support.ts';

const namespace = uniqueNamespace('mailkill');
const data = tempDir('mailkill');
const smtp = new TestSmtpServer();
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await smtp.stop();
  await cleanupNamespace(namespace);
  data.remove();
});

test('a mailer killed with SIGKILL while jobs are in flight loses none: the next mailer delivers every job (RabbitMQ lane)', { timeout: 120_000 }, async () => {
  await smtp.start();
  const { log } = capturedLogger();
  const producer = new AmqpMailQueue({ url: AMQP_URL, namespace, maxLength: 100_000, publishTimeoutMs: 2_000, log });
  cleanups.push(() => producer.close());
  await producer.waitForConnect();

  const first: RunningProcess = await startProcess('mailer', {
    AMQP_URL,
    NAMESPACE: namespace,
    SMTP_URL: smtp.url,
    DATA_DIR: data.dir,
    MAIL_PREFETCH: '8',
    MAIL_SMTP_CONNECTIONS: '2',
    MAIL_FROM: 'Example <no-reply@example.com>',
    PUBLIC_URL: 'https://auth.example.com',
  });
  cleanups.push(() => first.stop('SIGKILL'));
  const jobs: MailJob[] = [];
  const publish = async (job: MailJob) => {
    jobs.push(job);
    await producer.publish(job);
  };

  // Some mails go through, acknowledged...
  for (let i = 0; i < 5; i++) await publish(makeJob(i % 2 ? 'verify_email' : 'device_code'));
  await waitFor('the first five mails', () => smtp.received.length === 5, 20_000);
  // ...then the server takes messages and never answers: the mailer holds jobs it cannot finish.
  smtp.behaviour = { mode: 'hang' };
  for (let i = 0; i < 15; i++) await publish(makeJob(i % 2 ? 'password_reset' : 'new_sign_in'));
  await waitFor('mails in flight', () => smtp.hung >= 2, 20_000);
  await sleep(300);
  assert.equal(await first.stop('SIGKILL'), null, 'killed, not exited');
  assert.equal(first.child.signalCode, 'SIGKILL');

  // Another mailer takes over the lane.
  smtp.behaviour = { mode: 'accept' };
  const lane = new AmqpMailQueue({ url: AMQP_URL, namespace, maxLength: 100_000, publishTimeoutMs: 2_000, log });
  cleanups.push(() => lane.close());
  const captured = capturedLogger();
  const second: MailerHandle = await startMailer(mailerConfig({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://auth.example.com' }), {
    mail: lane,
    log: captured.log,
  });
  cleanups.push(() => second.stop());
  await waitFor('every job delivered', () => jobs.every((job) => smtp.copiesOf(job.id).length >= 1), 30_000);
  await sleep(500);
  // None lost; and since the server never finished a hung message, none came twice either.
  for (const job of jobs) assert.equal(smtp.copiesOf(job.id).length, 1, `${job.kind} ${job.id}`);
  assert.equal(smtp.received.length, 20);
  assertNoSecretsLogged(
    first.lines.map((line) => JSON.stringify(line)),
    jobs,
  );
  assertNoSecretsLogged(captured.lines, jobs);
});
