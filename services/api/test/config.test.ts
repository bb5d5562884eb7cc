import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@authgate/shared/config';

const noFiles = () => {
  throw new Error('no file reads expected');
};
const DB = 'postgres://authgate:pw@db:5432/authgate';
const JWKS = JSON.stringify({ keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] });
const PRODUCTION_API = {
  NODE_ENV: 'production',
  DATABASE_URL: DB,
  REDIS_URL: 'redis://redis:6379',
  AMQP_URL: 'amqp://rabbitmq:5672',
  JWT_PUBLIC_JWKS: JWKS,
  PUBLIC_URL: 'https://auth.example.com',
  OIDC_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
  OIDC_COOKIE_KEYS: 'c'.repeat(43),
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config: the account API settings', () => {
  test('defaults: port 3001, no CORS origins, no admins, 10 email checks a minute', () => {
    const config = loadConfig({ DATABASE_URL: DB }, 'api', noFiles);
    assert.equal(config.API_PORT, 3001);
    assert.deepEqual(config.CORS_ORIGINS, []);
    assert.deepEqual(config.ADMIN_USER_IDS, []);
    assert.equal(config.CHECK_EMAIL_PER_MINUTE, 10);
  });

  test('CORS_ORIGINS is a comma-separated list of origins', () => {
    const config = loadConfig({ DATABASE_URL: DB, CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }, 'api', noFiles);
    assert.deepEqual(config.CORS_ORIGINS, ['https://app.example.com', 'http://localhost:5173']);
    for (const bad of ['https://app.example.com/', 'https://app.example.com/path', 'ftp://files.example.com', 'app.example.com', '*']) {
      const problems = problemsOf(() => loadConfig({ DATABASE_URL: DB, CORS_ORIGINS: bad }, 'api', noFiles));
      assert.ok(
        problems.some((p) => p.startsWith('CORS_ORIGINS:')),
        `${bad}: ${problems.join('; ')}`,
      );
    }
  });

  test('ADMIN_USER_IDS is a comma-separated list of user ids (UUIDs)', () => {
    const ids = ['3f2b8c1e-7d4a-4e6b-9a1c-2d3e4f5a6b7c', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'];
    assert.deepEqual(loadConfig({ DATABASE_URL: DB, ADMIN_USER_IDS: ids.join(',') }, 'api', noFiles).ADMIN_USER_IDS, ids);
    const problems = problemsOf(() => loadConfig({ DATABASE_URL: DB, ADMIN_USER_IDS: `${ids[0]},admin@example.com` }, 'api', noFiles));
    assert.ok(
      problems.some((p) => p.startsWith('ADMIN_USER_IDS:')),
      problems.join('; '),
    );
  });

  test('ADMIN_EMAILS is a comma-separated list of addresses, compared in lower case', () => {
    assert.deepEqual(loadConfig({ DATABASE_URL: DB, ADMIN_EMAILS: 'Ada@Example.com, root@example.org' }, 'api', noFiles).ADMIN_EMAILS, [
      'ada@example.com',
      'root@example.org',
    ]);
    assert.deepEqual(loadConfig({ DATABASE_URL: DB }, 'api', noFiles).ADMIN_EMAILS, []);
    assert.ok(
      problemsOf(() => loadConfig({ DATABASE_URL: DB, ADMIN_EMAILS: 'ada@example.com,not-an-address' }, 'api', noFiles)).some((p) =>
        p.startsWith('ADMIN_EMAILS:'),
      ),
    );
  });

  test('OIDC_CLIENTS is a JSON array of client metadata; a bad value is named, never shown (it holds client secrets)', () => {
    const clients = [{ client_id: 'web', client_secret: 'top-secret-value', redirect_uris: ['https://app.example.com/cb'], first_party: true }];
    assert.deepEqual(loadConfig({ DATABASE_URL: DB, OIDC_CLIENTS: JSON.stringify(clients) }, 'api', noFiles).OIDC_CLIENTS, clients);
    assert.deepEqual(loadConfig({ DATABASE_URL: DB }, 'api', noFiles).OIDC_CLIENTS, []);
    for (const bad of ['{"client_id":"web","client_secret":"top-secret-value"}', '[{"client_secret":"top-secret-value"}]', 'top-secret-value']) {
      const problems = problemsOf(() => loadConfig({ DATABASE_URL: DB, OIDC_CLIENTS: bad }, 'api', noFiles));
      assert.ok(
        problems.some((p) => p.startsWith('OIDC_CLIENTS:')),
        problems.join('; '),
      );
      assert.ok(!problems.join(' ').includes('top-secret-value'), 'the value is hidden');
    }
  });

  test('OIDC_COOKIE_KEYS: each key at least 32 characters; OIDC_PRIVATE_BACKCHANNEL_ORIGINS: origins only', () => {
    assert.deepEqual(loadConfig({ DATABASE_URL: DB, OIDC_COOKIE_KEYS: `${'a'.repeat(32)},${'b'.repeat(40)}` }, 'api', noFiles).OIDC_COOKIE_KEYS, [
      'a'.repeat(32),
      'b'.repeat(40),
    ]);
    assert.ok(problemsOf(() => loadConfig({ DATABASE_URL: DB, OIDC_COOKIE_KEYS: 'short' }, 'api', noFiles)).some((p) => p.startsWith('OIDC_COOKIE_KEYS:')));
    assert.ok(
      problemsOf(() => loadConfig({ DATABASE_URL: DB, OIDC_PRIVATE_BACKCHANNEL_ORIGINS: 'http://10.0.0.5:8080/logout' }, 'api', noFiles)).some((p) =>
        p.startsWith('OIDC_PRIVATE_BACKCHANNEL_ORIGINS:'),
      ),
    );
  });

  test('CHECK_EMAIL_PER_MINUTE must be a positive integer', () => {
    assert.equal(loadConfig({ DATABASE_URL: DB, CHECK_EMAIL_PER_MINUTE: '3' }, 'api', noFiles).CHECK_EMAIL_PER_MINUTE, 3);
    for (const bad of ['0', '-1', '2.5', 'many']) {
      assert.ok(
        problemsOf(() => loadConfig({ DATABASE_URL: DB, CHECK_EMAIL_PER_MINUTE: bad }, 'api', noFiles)).some((p) => p.startsWith('CHECK_EMAIL_PER_MINUTE:')),
        bad,
      );
    }
  });

  test('the api role needs DATABASE_URL even in development: an embedded database would hold no users', () => {
    const problems = problemsOf(() => loadConfig({}, 'api', noFiles));
    assert.ok(
      problems.some((p) => p.startsWith('DATABASE_URL:')),
      problems.join('; '),
    );
    // The all-in-one mode still runs on a bare machine.
    loadConfig({}, 'all', noFiles);
  });

  test("production: the api needs the public JWKS, Redis, RabbitMQ (its audit events and notices), its issuer and the OpenID provider's own keys, never the workers' private key", () => {
    const config = loadConfig(PRODUCTION_API, 'api', noFiles);
    assert.equal(config.JWT_PRIVATE_KEY, undefined);
    for (const name of ['JWT_PUBLIC_JWKS', 'REDIS_URL', 'AMQP_URL', 'DATABASE_URL', 'PUBLIC_URL', 'OIDC_SIGNING_KEY', 'OIDC_COOKIE_KEYS'] as const) {
      const env: Record<string, string> = { ...PRODUCTION_API };
      delete env[name];
      assert.ok(
        problemsOf(() => loadConfig(env, 'api', noFiles)).some((p) => p.startsWith(`${name}:`)),
        `without ${name}`,
      );
    }
  });
});
