import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { emailScenarios, requireVerifiedScenarios, type EmailDeployment } from '../../../test/helpers/email-scenarios.ts';
import { call, post } from '../../../test/helpers/http.ts';
import { SmtpMailbox } from '../../../test/helpers/mailbox.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';
import { signTestToken } from '../../../test/helpers/tokens.ts';
import { newEmail, PASSWORD } from '../../../test/helpers/users.ts';

/**
 * Email verification, password reset and change through the real services: an edge, a worker (with
 * the audit writer beside it), the account API and a mailer, each its own process, on RabbitMQ, Redis
 * and PostgreSQL; the mailer sends to a real SMTP server in this process (smtp-server, mailparser).
 * A second deployment (its own namespace: edge, worker, mailer) runs with REQUIRE_VERIFIED_EMAIL=on.
 */
const PUBLIC_URL = 'https://auth.example.test/app';
const RESEND_PER_HOUR = 2;
const NOTICES_PER_HOUR = 2;

describe('email flows: separate edge, worker, api and mailer processes', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('email');
  const namespaces = [uniqueNamespace('email'), uniqueNamespace('email-req')];
  const adminId = randomUUID();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let mailbox: SmtpMailbox;
  let open: EmailDeployment;
  let gated: EmailDeployment;
  let adminToken: () => Promise<string>;

  before(async () => {
    database = await createTestDatabase('email');
    mailbox = await SmtpMailbox.start();
    const common = (namespace: string) => ({
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      EMAIL_RESEND_PER_HOUR: String(RESEND_PER_HOUR),
      SECURITY_NOTICE_MAILS_PER_HOUR: String(NOTICES_PER_HOUR),
      PASSWORD_RESET_MAILS_PER_HOUR: '1000',
      // One account signs in from several devices here; new-device approval has its own tests.
      DEVICE_VERIFICATION: 'off',
    });
    const mailer = { SMTP_URL: mailbox.url, PUBLIC_URL, MAIL_RETRY_BASE_MS: '100', MAIL_RETRY_MAX_MS: '500' };
    const [first, second] = namespaces.map(common) as [ReturnType<typeof common>, ReturnType<typeof common>];
    // The workers first: they migrate the database the others read.
    processes.push(await startProcess('worker', { ...first, DATABASE_URL: database.url }));
    processes.push(await startProcess('worker', { ...second, DATABASE_URL: database.url, REQUIRE_VERIFIED_EMAIL: 'on' }));
    const started = await Promise.all([
      startProcess('edge', first),
      startProcess('api', { ...first, DATABASE_URL: database.url, ADMIN_USER_IDS: adminId }),
      startProcess('mailer', { ...first, ...mailer }),
      startProcess('edge', second),
      startProcess('mailer', { ...second, ...mailer }),
    ]);
    processes.push(...started);
    const [edge, api, , gatedEdge] = started;
    open = {
      url: edge!.url,
      wsUrl: edge!.wsUrl,
      apiUrl: api!.url,
      mailbox,
      publicUrl: PUBLIC_URL,
      resendPerHour: RESEND_PER_HOUR,
      noticesPerHour: NOTICES_PER_HOUR,
    };
    gated = { ...open, url: gatedEdge!.url, wsUrl: gatedEdge!.wsUrl };
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    adminToken = () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId });
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await mailbox?.close();
    await database?.drop();
    for (const namespace of namespaces) await cleanupNamespace(namespace);
    data.remove();
  });

  describe('REQUIRE_VERIFIED_EMAIL off (the default)', () => {
    emailScenarios(() => open);
  });

  describe('REQUIRE_VERIFIED_EMAIL on', () => {
    requireVerifiedScenarios(() => gated);
  });

  test('a mail the SMTP server refuses for good (550) is set aside once and becomes a mail.set_aside audit event, redacted', async () => {
    const email = newEmail('bounce');
    mailbox.refuse.add(email);
    assert.equal((await post(open.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    const until = Date.now() + 15_000;
    let found: any;
    while (!found) {
      const answer = await call(open.apiUrl, 'GET', '/admin/events?type=mail.set_aside&limit=100', {
        headers: { authorization: `Bearer ${await adminToken()}` },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      found = answer.body.events.find((e: any) => e.type === 'mail.set_aside' && e.data.kind === 'verify_email');
      if (!found && Date.now() > until) assert.fail('no mail.set_aside event');
      if (!found) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(
      { kind: found.data.kind, reason: found.data.reason, responseCode: found.data.responseCode, attempts: found.data.attempts },
      { kind: 'verify_email', reason: 'smtp_rejected', responseCode: 550, attempts: 1 },
    );
    assert.ok(!JSON.stringify(found).includes(email), 'the event names no recipient');
    assert.equal(mailbox.to(email).length, 0);
    const mailerLog = processes.find((p) => p.target === 'mailer')!.lines;
    assert.ok(!JSON.stringify(mailerLog).includes('#token='), 'no link in the mailer log');
  });

  test('no token of any mail sent appears in a log line of any process', () => {
    const tokens = mailbox.mails.flatMap((mail) => [...(mail.text ?? '').matchAll(/#token=([A-Za-z0-9_-]{43})/g)].map((m) => m[1]!));
    assert.ok(tokens.length >= 10, `tokens mailed: ${tokens.length}`);
    for (const p of processes) {
      const text = JSON.stringify(p.lines);
      assert.equal(
        tokens.find((token) => text.includes(token)),
        undefined,
        `a token in the ${p.target} log`,
      );
    }
  });
});
