import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '@authgate/shared/config';

const noFiles = (p: string): string => {
  throw new Error(`unexpected read of ${p}`);
};

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a ConfigError, but the configuration was accepted');
}

/** What a production mailer needs; nothing more (no keys, no Redis, no database). */
const PRODUCTION_MAILER = {
  NODE_ENV: 'production',
  AMQP_URL: 'amqp://user:pass@rabbit:5672',
  SMTP_URL: 'smtps://mailer:s3cretpw@smtp.example.com:465',
  PUBLIC_URL: 'https://auth.example.com',
};

describe('mail settings', () => {
  test('defaults: no SMTP (outbox), localhost links, bounded retries', () => {
    const config = loadConfig({}, 'mailer', noFiles);
    assert.equal(config.SMTP_URL, undefined);
    assert.equal(config.PUBLIC_URL, 'http://localhost:8080');
    assert.equal(config.MAIL_FROM, 'authgate <no-reply@localhost>');
    assert.equal(config.MAIL_PREFETCH, 16);
    assert.equal(config.MAIL_RETRY_BASE_MS, 1_000);
    assert.equal(config.MAIL_RETRY_MAX_MS, 60_000);
  });

  test('SMTP_URL: smtp:// or smtps:// only, and its value never shown in the error', () => {
    assert.equal(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' }, 'mailer', noFiles).SMTP_URL, 'smtp://127.0.0.1:2525');
    const message = problemsOf(() => loadConfig({ SMTP_URL: 'https://mailer:s3cretpw@smtp.example.com' }, 'mailer', noFiles));
    assert.match(message, /SMTP_URL: must be a URL starting with smtp:\/\/ or smtps:\/\//);
    assert.match(message, /value hidden/);
    assert.ok(!message.includes('s3cretpw'));
  });

  test('SMTP_URL_FILE is read like the other secrets', () => {
    const config = loadConfig({ SMTP_URL_FILE: '/run/secrets/smtp_url' }, 'mailer', () => 'smtps://u:p@smtp.example.com:465\n');
    assert.equal(config.SMTP_URL, 'smtps://u:p@smtp.example.com:465');
  });

  test('PUBLIC_URL: http(s), no query, fragment or credentials; a trailing slash is dropped', () => {
    assert.equal(loadConfig({ PUBLIC_URL: 'https://example.com/auth/' }, 'mailer', noFiles).PUBLIC_URL, 'https://example.com/auth');
    for (const bad of ['ftp://example.com', 'https://example.com/?next=x', 'https://example.com/#x', 'https://u:p@example.com', 'example.com']) {
      assert.match(
        problemsOf(() => loadConfig({ PUBLIC_URL: bad }, 'mailer', noFiles)),
        /PUBLIC_URL: must be an http\(s\) URL/,
        bad,
      );
    }
  });

  test('MAIL_FROM: an address or "Name <address>"', () => {
    assert.equal(loadConfig({ MAIL_FROM: 'Acme <no-reply@acme.example>' }, 'mailer', noFiles).MAIL_FROM, 'Acme <no-reply@acme.example>');
    assert.equal(loadConfig({ MAIL_FROM: 'no-reply@acme.example' }, 'mailer', noFiles).MAIL_FROM, 'no-reply@acme.example');
    for (const bad of ['acme', 'Acme <acme>', 'Acme <a@b>\r\nBcc: x@y.z'])
      assert.match(
        problemsOf(() => loadConfig({ MAIL_FROM: bad }, 'mailer', noFiles)),
        /MAIL_FROM/,
        bad,
      );
  });

  test('MAIL_RETRY_MAX_MS may not be below MAIL_RETRY_BASE_MS', () => {
    assert.match(
      problemsOf(() => loadConfig({ MAIL_RETRY_BASE_MS: '5000', MAIL_RETRY_MAX_MS: '1000' }, 'mailer', noFiles)),
      /MAIL_RETRY_MAX_MS: must be at least MAIL_RETRY_BASE_MS/,
    );
  });

  test('production mailer: needs AMQP_URL, SMTP_URL and PUBLIC_URL, and no signing or verification key', () => {
    assert.doesNotThrow(() => loadConfig(PRODUCTION_MAILER, 'mailer', noFiles));
    for (const name of ['AMQP_URL', 'SMTP_URL', 'PUBLIC_URL'] as const) {
      const env: Record<string, string> = { ...PRODUCTION_MAILER };
      delete env[name];
      assert.match(
        problemsOf(() => loadConfig(env, 'mailer', noFiles)),
        new RegExp(`${name}: required in production`),
        name,
      );
    }
  });
});
