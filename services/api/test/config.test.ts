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

  test('production: the api needs the public JWKS, Redis and RabbitMQ (its audit events and notices), never the private key', () => {
    const config = loadConfig(PRODUCTION_API, 'api', noFiles);
    assert.equal(config.JWT_PRIVATE_KEY, undefined);
    for (const name of ['JWT_PUBLIC_JWKS', 'REDIS_URL', 'AMQP_URL', 'DATABASE_URL'] as const) {
      const env: Record<string, string> = { ...PRODUCTION_API };
      delete env[name];
      assert.ok(
        problemsOf(() => loadConfig(env, 'api', noFiles)).some((p) => p.startsWith(`${name}:`)),
        `without ${name}`,
      );
    }
  });
});
