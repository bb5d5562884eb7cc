import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../scripts/cluster/ports.ts';
import { post } from './helpers/http.ts';
import { isVerifyMail, linkToken, OutboxMailbox } from './helpers/mailbox.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { AMQP_URL, tempDir } from './helpers/services.ts';
import { newEmail, PASSWORD } from './helpers/users.ts';

/**
 * PUBLIC_URL, the base of every link in a mail, through real processes: in development it follows
 * the gateway's own port; in production the roles that mail links refuse to start without it.
 */
describe('PUBLIC_URL: mail links follow the gateway in development; production requires it', () => {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** An all-in-one process with no PUBLIC_URL; mails go to DATA_DIR/outbox. */
  async function allInOne(env: Record<string, string>): Promise<{ proc: RunningProcess; outbox: OutboxMailbox }> {
    const data = tempDir('public-url');
    const proc = await startProcess('all', { ...env, DATA_DIR: data.dir, BCRYPT_COST: '4', DEVICE_VERIFICATION: 'off' });
    cleanups.push(
      () => proc.stop(),
      () => data.remove(),
    );
    return { proc, outbox: new OutboxMailbox(path.join(data.dir, 'outbox')) };
  }

  /** Registers an account and returns the token of the verification link, which must start with `publicUrl`; the token works. */
  async function verificationLinkUnder(proc: RunningProcess, outbox: OutboxMailbox, publicUrl: string): Promise<void> {
    const email = newEmail('public-url');
    assert.equal((await post(proc.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    const token = linkToken(await outbox.take(email, isVerifyMail), publicUrl, 'verify-email');
    assert.equal((await post(proc.url, '/auth/email/verify', { token })).status, 204, 'the link leads to this gateway and its token works');
  }

  test('all-in-one on a non-default PORT without PUBLIC_URL: the mailed link carries that port', async () => {
    const port = await freePort();
    assert.notEqual(port, 8080);
    const { proc, outbox } = await allInOne({ PORT: String(port) });
    assert.equal(proc.port, port);
    await verificationLinkUnder(proc, outbox, `http://localhost:${port}`);
  });

  test('all-in-one on PORT=0 without PUBLIC_URL: the mailed link carries the port the gateway was given', async () => {
    const { proc, outbox } = await allInOne({ PORT: '0' });
    await verificationLinkUnder(proc, outbox, `http://localhost:${proc.port}`);
  });

  /** Everything production asks of the all-in-one and the mailer, but PUBLIC_URL. */
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authgate_never_used',
    AMQP_URL,
    SMTP_URL: 'smtp://127.0.0.1:2525',
    JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
    JWT_PUBLIC_JWKS: '{"keys":[]}',
    RESULT_SEALING_SECRET: 'k'.repeat(43),
    MFA_ENCRYPTION_KEY: 'm'.repeat(43),
    OIDC_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
    OIDC_COOKIE_KEYS: 'c'.repeat(43),
    BCRYPT_COST: '12',
  };

  for (const target of ['all', 'mailer'] as const) {
    test(`production --target=${target} without PUBLIC_URL exits 1 before starting, naming PUBLIC_URL`, async () => {
      const data = tempDir('public-url-prod');
      cleanups.push(() => data.remove());
      await assert.rejects(startProcess(target, { ...production, DATA_DIR: data.dir }), (err: Error) => {
        assert.match(err.message, /exited with 1 before starting/);
        assert.match(err.message, new RegExp(`PUBLIC_URL: required in production for the ${target} role`));
        assert.doesNotMatch(err.message, /^\s+- (?!PUBLIC_URL)/m, 'PUBLIC_URL is the only setting missing');
        return true;
      });
    });
  }
});
