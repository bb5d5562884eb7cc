import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAIL_KINDS, type DeadMail, type MailJob } from '@authgate/shared/mail/job';
import { MemoryMailQueue } from '@authgate/shared/mail/memory-queue';
import { MemoryEventBus } from '@authgate/shared/events/memory-bus';
import type { AuditEvent } from '@authgate/shared/events/schema';
import { startMailer, type MailerHandle } from '../src/index.ts';
import { TestSmtpServer } from './smtp.ts';
import { assertNoSecretsLogged, capturedLogger, mailerConfig, makeJob, sleep, waitFor } from './support.ts';

/** A mailer on the in-process lane sending to a real SMTP server in this process. */
async function setup(overrides: Parameters<typeof mailerConfig>[0] = {}) {
  const smtp = new TestSmtpServer();
  await smtp.start();
  const mail = new MemoryMailQueue(1_000);
  const { log, lines } = capturedLogger();
  const setAside: DeadMail[] = [];
  const config = mailerConfig({ SMTP_URL: smtp.url, ...overrides });
  // The audit bus as the all-in-one composes it: what the mailer publishes is read back here.
  const events = new MemoryEventBus({ maxLength: 1_000, log });
  const audited: AuditEvent[] = [];
  const auditReader = await events.consume(
    async (batch) => {
      audited.push(...batch.map((delivery) => delivery.event));
    },
    { maxBatchSize: 10, maxWaitMs: 10 },
  );
  const mailer = await startMailer(config, { mail, log, events, onSetAside: (info) => setAside.push(info) });
  const jobs: MailJob[] = [];
  return {
    smtp,
    mail,
    lines,
    setAside,
    audited,
    jobs,
    mailer,
    async publish(job: MailJob) {
      jobs.push(job);
      await mail.publish(job);
    },
    async close() {
      await mailer.stop();
      await auditReader.stop();
      await events.close();
      await mail.close();
      await smtp.stop();
    },
  };
}

describe('mailer over SMTP', () => {
  describe('templates: each kind arrives with its link or code, as text and HTML', () => {
    let s: Awaited<ReturnType<typeof setup>>;
    before(async () => {
      s = await setup();
    });
    after(async () => {
      await s.close();
    });

    for (const kind of MAIL_KINDS) {
      test(kind, async () => {
        const job = makeJob(kind);
        await s.publish(job);
        await waitFor(`the ${kind} mail`, () => s.smtp.copiesOf(job.id).length === 1);
        const mail = s.smtp.copiesOf(job.id)[0]!;
        assert.equal(mail.to && !Array.isArray(mail.to) ? mail.to.text : undefined, 'ada@example.com');
        assert.equal(mail.from?.value[0]?.address, 'no-reply@example.com');
        assert.ok(mail.subject && mail.subject.length > 5);
        const text = mail.text ?? '';
        const html = typeof mail.html === 'string' ? mail.html : '';
        assert.ok(text.length > 20 && html.length > 20, 'both a text and an HTML part');
        const data = job.data as { token?: string; code?: string };
        if (kind === 'verify_email' || kind === 'password_reset') {
          const path = kind === 'verify_email' ? 'verify-email' : 'reset-password';
          // The link is built from PUBLIC_URL (with its path), the token in the fragment.
          const link = `https://auth.example.com/app/${path}#token=${data.token}`;
          assert.ok(text.includes(link), 'text holds the link');
          assert.ok(html.includes(`href="${link}"`), 'HTML holds the link');
        } else if (kind === 'device_code') {
          assert.ok(text.includes(data.code!) && html.includes(data.code!), 'the code in text and HTML');
          assert.match(text, /10 minutes/);
        } else {
          assert.ok(text.includes('https://auth.example.com/app/account/security'));
          assert.ok(html.includes('href="https://auth.example.com/app/account/security"'));
        }
        if (kind !== 'verify_email' && kind !== 'password_reset') {
          // Free text from the request (a User-Agent) is escaped in HTML, kept as is in text.
          assert.ok(text.includes('Firefox/128 <script>alert(1)</script> "quoted" & more'));
          assert.ok(html.includes('Firefox/128 &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; more'));
          assert.ok(!html.includes('<script>'));
          assert.ok(text.includes('203.0.113.7') && text.includes('2026-01-31 14:05 UTC'));
        }
        assertNoSecretsLogged(s.lines, s.jobs);
      });
    }
  });

  test('SMTP down for 10 s, then back: every mail is delivered, exactly once', async () => {
    const s = await setup({ MAIL_RETRY_BASE_MS: 200, MAIL_RETRY_MAX_MS: 2_000, MAIL_PREFETCH: 4 });
    try {
      await s.publish(makeJob('new_sign_in'));
      await waitFor('the first mail', () => s.smtp.received.length === 1);
      await s.smtp.stop();
      const downAt = Date.now();
      // More jobs than the prefetch: some wait in hand (retrying), the rest in the lane.
      for (let i = 0; i < 12; i++) await s.publish(makeJob(i % 2 ? 'password_reset' : 'device_code'));
      await waitFor('retries while the server is down', () => s.lines.some((l) => l.includes('will retry') && /"attempt":3/.test(l)));
      await sleep(Math.max(0, 10_000 - (Date.now() - downAt)));
      assert.equal(s.smtp.received.length, 1, 'nothing delivered while down');
      await s.smtp.start(); // same port
      await waitFor('every mail after the server came back', () => s.smtp.received.length >= 13, 15_000);
      await sleep(500);
      for (const job of s.jobs) assert.equal(s.smtp.copiesOf(job.id).length, 1, `job ${job.kind} delivered once`);
      assert.equal(s.smtp.received.length, 13);
      assert.deepEqual(s.setAside, []);
      assertNoSecretsLogged(s.lines, s.jobs);
    } finally {
      await s.close();
    }
  });

  test('4xx replies are retried with backoff until accepted, then delivered once', async () => {
    const s = await setup({ MAIL_RETRY_BASE_MS: 100, MAIL_RETRY_MAX_MS: 400 });
    try {
      s.smtp.behaviour = { mode: 'refuse', code: 451 };
      const job = makeJob('verify_email');
      await s.publish(job);
      await waitFor('three refused tries', () => s.smtp.rcptCount >= 3);
      s.smtp.behaviour = { mode: 'accept' };
      await waitFor('the mail', () => s.smtp.copiesOf(job.id).length === 1);
      await sleep(500);
      assert.equal(s.smtp.copiesOf(job.id).length, 1);
      assert.deepEqual(s.setAside, []);
      assert.ok(s.lines.some((l) => l.includes('"reason":"smtp_451"')));
      assertNoSecretsLogged(s.lines, s.jobs);
    } finally {
      await s.close();
    }
  });

  test('550: the job is set aside at once, reported and audited (redacted), never retried; the lane goes on', async () => {
    const s = await setup({ MAIL_RETRY_BASE_MS: 50, MAIL_RETRY_MAX_MS: 100 });
    try {
      s.smtp.behaviour = { mode: 'refuse', code: 550 };
      const job = makeJob('password_reset', 'nobody@example.com');
      await s.publish(job);
      await waitFor('the set-aside report', () => s.setAside.length === 1);
      const [dead] = s.setAside;
      assert.deepEqual(Object.keys(dead!).sort(), ['at', 'attempts', 'id', 'kind', 'reason', 'responseCode']);
      assert.equal(dead!.id, job.id);
      assert.equal(dead!.kind, 'password_reset');
      assert.equal(dead!.reason, 'smtp_rejected');
      assert.equal(dead!.responseCode, 550);
      assert.equal(dead!.attempts, 1);
      assert.deepEqual(s.mail.dead, [dead]);
      await waitFor('the mail.set_aside audit event', () => s.audited.length === 1);
      const [event] = s.audited;
      assert.equal(event!.type, 'mail.set_aside');
      assert.deepEqual(event!.data, { mailId: job.id, kind: 'password_reset', reason: 'smtp_rejected', attempts: 1, responseCode: 550 });
      assert.ok(!JSON.stringify(event).includes('nobody@example.com'), 'the event names no recipient');
      await sleep(1_000); // twenty backoff periods: a retry would have come
      assert.equal(s.smtp.rcptCount, 1, 'asked once, never again');
      // The lane is not stuck behind it.
      s.smtp.behaviour = { mode: 'accept' };
      const next = makeJob('verify_email');
      await s.publish(next);
      await waitFor('the next mail', () => s.smtp.copiesOf(next.id).length === 1);
      assert.equal(s.smtp.copiesOf(job.id).length, 0);
      assertNoSecretsLogged(s.lines, s.jobs);
    } finally {
      await s.close();
    }
  });

  test('a mail past its expiresAt is set aside, not sent', async () => {
    const s = await setup();
    try {
      const job = { ...makeJob('password_reset'), expiresAt: new Date(Date.now() - 1_000).toISOString() };
      await s.publish(job);
      await waitFor('the set-aside report', () => s.setAside.length === 1);
      assert.equal(s.setAside[0]!.reason, 'expired');
      assert.equal(s.smtp.rcptCount, 0);
    } finally {
      await s.close();
    }
  });

  test('a mailer stopped while retrying gives its jobs back; the next mailer sends them', async () => {
    const s = await setup({ MAIL_RETRY_BASE_MS: 100, MAIL_RETRY_MAX_MS: 200 });
    let second: MailerHandle | undefined;
    try {
      s.smtp.behaviour = { mode: 'refuse', code: 421 };
      for (let i = 0; i < 3; i++) await s.publish(makeJob('device_code'));
      await waitFor('tries of every job', () => s.smtp.rcptCount >= 3);
      await s.mailer.stop();
      await waitFor('all three back in the lane', () => s.mail.depth === 3);
      s.smtp.behaviour = { mode: 'accept' };
      const { log } = capturedLogger();
      second = await startMailer(mailerConfig({ SMTP_URL: s.smtp.url }), { mail: s.mail, log });
      await waitFor('the three mails', () => s.smtp.received.length === 3);
      for (const job of s.jobs) assert.equal(s.smtp.copiesOf(job.id).length, 1);
    } finally {
      await second?.stop();
      await s.close();
    }
  });
});
