import os from 'node:os';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, type Target } from '@authgate/shared/config';

/** The ConfigError `fn` throws; fails when it throws nothing or something else. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError, but the configuration was accepted');
}

const noFiles = (p: string): string => {
  throw new Error(`unexpected read of ${p}`);
};

/** Everything a production service of each role needs, so one test can take one thing away. */
const PRODUCTION: Record<string, string> = {
  NODE_ENV: 'production',
  AMQP_URL: 'amqp://user:pass@rabbit:5672',
  REDIS_URL: 'redis://redis:6379',
  DATABASE_URL: 'postgres://user:pass@db:5432/authgate',
  JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
  JWT_PUBLIC_JWKS: '{"keys":[]}',
  RESULT_SEALING_SECRET: 'k'.repeat(43),
  MFA_ENCRYPTION_KEY: 'm'.repeat(43),
  BCRYPT_COST: '12',
  PUBLIC_URL: 'https://auth.example.com',
  OIDC_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
  OIDC_COOKIE_KEYS: 'c'.repeat(43),
};

function without(env: Record<string, string>, ...names: string[]): Record<string, string> {
  const copy = { ...env };
  for (const name of names) delete copy[name];
  return copy;
}

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig({}, 'all', noFiles);
    assert.equal(config.NODE_ENV, 'development');
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.HOST, '0.0.0.0');
    assert.equal(config.PORT, 8080);
    assert.equal(config.NAMESPACE, 'authgate');
    assert.equal(config.DATA_DIR, '.data');
    assert.equal(config.BCRYPT_COST, 12);
    assert.equal(config.UV_THREADPOOL_SIZE, os.availableParallelism());
    assert.equal(config.PASSWORD_PREFETCH, config.UV_THREADPOOL_SIZE * 2);
    assert.equal(config.SESSION_PREFETCH, 200);
    assert.equal(config.QUEUE_MAX_LENGTH, 100_000);
    assert.equal(config.REQUEST_TIMEOUT_MS, 10_000);
    assert.equal(config.MAX_BODY_BYTES, 16_384);
    assert.deepEqual(config.TRUSTED_PROXIES, []);
    assert.equal(config.JWT_ISSUER, 'authgate');
    assert.equal(config.JWT_AUDIENCE, 'authgate');
    assert.equal(config.ACCESS_TOKEN_TTL_S, 900);
    assert.equal(config.REFRESH_TOKEN_TTL_S, 30 * 86_400);
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.AMQP_URL, undefined);
    assert.equal(config.REDIS_URL, undefined);
    assert.equal(config.JWT_PRIVATE_KEY, undefined);
    assert.match(config.NODE_ID, /^[a-z0-9-]{1,32}$/);
  });

  test('values given are parsed and typed', () => {
    const config = loadConfig(
      {
        PORT: '9000',
        BCRYPT_COST: '10',
        NAMESPACE: 'ns-1',
        NODE_ID: 'edge-7',
        PASSWORD_PREFETCH: '3',
        TRUSTED_PROXIES: '10.0.0.1, ::1',
        REDIS_URL: 'redis://127.0.0.1:6379',
      },
      'edge',
      noFiles,
    );
    assert.equal(config.PORT, 9000);
    assert.equal(config.BCRYPT_COST, 10);
    assert.equal(config.NAMESPACE, 'ns-1');
    assert.equal(config.NODE_ID, 'edge-7');
    assert.equal(config.PASSWORD_PREFETCH, 3);
    assert.deepEqual(config.TRUSTED_PROXIES, ['10.0.0.1', '::1']);
    assert.equal(config.REDIS_URL, 'redis://127.0.0.1:6379');
  });

  test('an empty variable counts as not set', () => {
    const config = loadConfig({ PORT: '', REDIS_URL: '' }, 'all', noFiles);
    assert.equal(config.PORT, 8080);
    assert.equal(config.REDIS_URL, undefined);
  });

  const badSettings: [string, string][] = [
    ['BCRYPT_COST', 'abc'],
    ['BCRYPT_COST', '3'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['REDIS_URL', 'http://x'],
    ['AMQP_URL', 'redis://127.0.0.1:6379'],
    ['DATABASE_URL', 'mysql://db.internal/app'],
    ['DATABASE_URL', 'not a url'],
    ['NAMESPACE', 'Bad!'],
    ['NODE_ID', 'UPPER'],
    ['NODE_ENV', 'staging'],
    ['TRUSTED_PROXIES', 'nginx.local'],
  ];
  for (const [name, value] of badSettings) {
    test(`${name}=${JSON.stringify(value)} is refused, and the problem names ${name}`, () => {
      const error = configErrorOf(() => loadConfig({ [name]: value }, 'all', noFiles));
      assert.equal(error.problems.length, 1, error.problems.join('\n'));
      assert.match(error.problems[0]!, new RegExp(`^${name}: `), error.problems[0]);
      assert.ok(error.message.includes(name));
    });
  }

  test('every bad setting is reported at once', () => {
    const error = configErrorOf(() => loadConfig({ BCRYPT_COST: 'abc', PORT: '70000', REDIS_URL: 'http://x', NAMESPACE: 'Bad!' }, 'all', noFiles));
    const named = error.problems.map((p) => p.split(':')[0]).sort();
    assert.deepEqual(named, ['BCRYPT_COST', 'NAMESPACE', 'PORT', 'REDIS_URL']);
  });

  test('a bad URL setting does not show the value given', () => {
    for (const [name, value] of [
      ['REDIS_URL', 'http://x'],
      ['REDIS_URL', 'http://admin:s3cr3t-pw@cache.internal:6379'],
      ['AMQP_URL', 'https://guest:hunter2-pw@rabbit:5672'],
      ['DATABASE_URL', 'mysql://root:t0p-secret@db/app'],
    ] as const) {
      const error = configErrorOf(() => loadConfig({ [name]: value }, 'all', noFiles));
      const text = `${error.message}\n${error.problems.join('\n')}`;
      assert.ok(text.includes(name), text);
      assert.ok(!text.includes(value), `the value leaked: ${text}`);
      for (const secret of ['s3cr3t-pw', 'hunter2-pw', 't0p-secret']) assert.ok(!text.includes(secret), `a secret leaked: ${text}`);
    }
  });

  test('a bad non-secret setting shows the value given', () => {
    const error = configErrorOf(() => loadConfig({ PORT: '70000' }, 'all', noFiles));
    assert.ok(error.problems[0]!.includes('70000'), error.problems[0]);
  });

  test('production: a complete configuration is accepted for every role', () => {
    for (const target of ['all', 'edge', 'worker'] as Target[]) {
      const config = loadConfig(PRODUCTION, target, noFiles);
      assert.equal(config.NODE_ENV, 'production');
    }
  });

  test('production without JWT_PRIVATE_KEY: refused for the worker, not for the edge', () => {
    const env = without(PRODUCTION, 'JWT_PRIVATE_KEY');
    for (const target of ['worker', 'all'] as Target[]) {
      const error = configErrorOf(() => loadConfig(env, target, noFiles));
      assert.ok(
        error.problems.some((p) => p.startsWith('JWT_PRIVATE_KEY:')),
        `${target}: ${error.problems.join('; ')}`,
      );
    }
    // The edge holds no private key.
    assert.equal(loadConfig(env, 'edge', noFiles).JWT_PRIVATE_KEY, undefined);
  });

  test('production without JWT_PUBLIC_JWKS: refused for the edge, not for the worker', () => {
    const env = without(PRODUCTION, 'JWT_PUBLIC_JWKS');
    for (const target of ['edge', 'all'] as Target[]) {
      const error = configErrorOf(() => loadConfig(env, target, noFiles));
      assert.ok(
        error.problems.some((p) => p.startsWith('JWT_PUBLIC_JWKS:')),
        `${target}: ${error.problems.join('; ')}`,
      );
    }
    assert.equal(loadConfig(env, 'worker', noFiles).JWT_PUBLIC_JWKS, undefined);
  });

  test('production without RESULT_SEALING_SECRET: refused for the edge, not for the worker; its value is never shown', () => {
    const env = without(PRODUCTION, 'RESULT_SEALING_SECRET');
    for (const target of ['edge', 'all'] as Target[]) {
      const error = configErrorOf(() => loadConfig(env, target, noFiles));
      assert.ok(
        error.problems.some((p) => p.startsWith('RESULT_SEALING_SECRET:')),
        error.problems.join('; '),
      );
    }
    assert.doesNotThrow(() => loadConfig(env, 'worker', noFiles));
    const short = configErrorOf(() => loadConfig({ ...PRODUCTION, RESULT_SEALING_SECRET: 'too-short-secret' }, 'edge', noFiles));
    assert.ok(
      short.problems.some((p) => p.startsWith('RESULT_SEALING_SECRET:') && p.includes('value hidden') && !p.includes('too-short-secret')),
      short.problems.join('; '),
    );
  });

  test('production without MFA_ENCRYPTION_KEY: refused for the worker, not for the edge; its value is never shown', () => {
    const env = without(PRODUCTION, 'MFA_ENCRYPTION_KEY');
    for (const target of ['worker', 'all'] as Target[]) {
      const error = configErrorOf(() => loadConfig(env, target, noFiles));
      assert.ok(
        error.problems.some((p) => p.startsWith('MFA_ENCRYPTION_KEY:')),
        error.problems.join('; '),
      );
    }
    assert.doesNotThrow(() => loadConfig(env, 'edge', noFiles));
    const short = configErrorOf(() => loadConfig({ ...PRODUCTION, MFA_ENCRYPTION_KEY: 'too-short-key' }, 'worker', noFiles));
    assert.ok(
      short.problems.some((p) => p.startsWith('MFA_ENCRYPTION_KEY:') && p.includes('value hidden') && !p.includes('too-short-key')),
      short.problems.join('; '),
    );
  });

  test('production: a split role requires its brokers, and the worker its database', () => {
    for (const name of ['AMQP_URL', 'REDIS_URL']) {
      for (const target of ['edge', 'worker'] as Target[]) {
        const error = configErrorOf(() => loadConfig(without(PRODUCTION, name), target, noFiles));
        assert.ok(
          error.problems.some((p) => p.startsWith(`${name}:`)),
          `${target} without ${name}`,
        );
      }
    }
    const error = configErrorOf(() => loadConfig(without(PRODUCTION, 'DATABASE_URL'), 'worker', noFiles));
    assert.ok(error.problems.some((p) => p.startsWith('DATABASE_URL:')));
    loadConfig(without(PRODUCTION, 'DATABASE_URL'), 'edge', noFiles);
  });

  test('production refuses the all-in-one and the api roles without DATABASE_URL (no embedded database in production)', () => {
    for (const target of ['all', 'api'] as const) {
      const problems = configErrorOf(() => loadConfig(without(PRODUCTION, 'DATABASE_URL'), target, noFiles)).problems;
      assert.ok(
        problems.some((p) => p.startsWith('DATABASE_URL:')),
        `${target}: ${problems.join('; ')}`,
      );
    }
    assert.equal(loadConfig(PRODUCTION, 'all', noFiles).DATABASE_URL, PRODUCTION.DATABASE_URL);
    // Development and tests keep the embedded database.
    assert.equal(loadConfig({}, 'all', noFiles).DATABASE_URL, undefined);
    assert.equal(loadConfig({ NODE_ENV: 'test' }, 'all', noFiles).DATABASE_URL, undefined);
  });

  test('production refuses the roles that mail links or name the OpenID issuer (all, mailer, api) without PUBLIC_URL, naming the setting; the others need none', () => {
    for (const target of ['all', 'mailer', 'api'] as const) {
      const problems = configErrorOf(() => loadConfig(without(PRODUCTION, 'PUBLIC_URL'), target, noFiles)).problems;
      assert.ok(
        problems.some((p) => p.startsWith(`PUBLIC_URL: required in production for the ${target} role`)),
        `${target}: ${problems.join('; ')}`,
      );
    }
    assert.equal(loadConfig(PRODUCTION, 'all', noFiles).PUBLIC_URL, 'https://auth.example.com');
    for (const target of ['edge', 'worker', 'audit'] as const)
      assert.doesNotThrow(() => loadConfig(without(PRODUCTION, 'PUBLIC_URL'), target, noFiles), target);
  });

  test("PUBLIC_URL in development follows the gateway's own port (PORT) unless it is set", () => {
    assert.equal(loadConfig({}, 'all', noFiles).PUBLIC_URL, 'http://localhost:8080');
    assert.equal(loadConfig({ PORT: '9090' }, 'all', noFiles).PUBLIC_URL, 'http://localhost:9090');
    assert.equal(loadConfig({ PORT: '9090', NODE_ENV: 'test' }, 'mailer', noFiles).PUBLIC_URL, 'http://localhost:9090');
    assert.equal(loadConfig({ PORT: '9090', PUBLIC_URL: 'https://auth.example.com/' }, 'all', noFiles).PUBLIC_URL, 'https://auth.example.com');
  });

  test('API_DOCS defaults to off in production (the document maps the whole API for an attacker) and on elsewhere; on or off when set', () => {
    assert.equal(loadConfig(PRODUCTION, 'all', noFiles).API_DOCS, false);
    assert.equal(loadConfig({ ...PRODUCTION, API_DOCS: 'on' }, 'all', noFiles).API_DOCS, true);
    assert.equal(loadConfig({}, 'all', noFiles).API_DOCS, true);
    assert.equal(loadConfig({ API_DOCS: 'off' }, 'all', noFiles).API_DOCS, false);
    assert.ok(configErrorOf(() => loadConfig({ API_DOCS: 'maybe' }, 'all', noFiles)).problems[0]!.startsWith('API_DOCS:'));
  });

  test('production refuses BCRYPT_COST below 10; development allows it', () => {
    const error = configErrorOf(() => loadConfig({ ...PRODUCTION, BCRYPT_COST: '9' }, 'worker', noFiles));
    assert.ok(
      error.problems.some((p) => p.startsWith('BCRYPT_COST:')),
      error.problems.join('; '),
    );
    assert.equal(loadConfig({ ...PRODUCTION, BCRYPT_COST: '10' }, 'worker', noFiles).BCRYPT_COST, 10);
    assert.equal(loadConfig({ BCRYPT_COST: '4' }, 'worker', noFiles).BCRYPT_COST, 4);
  });

  test('a Redis Cluster: REDIS_CLUSTER_NODES as host:port entries stands in for REDIS_URL in production, never beside it', () => {
    const { REDIS_URL: _single, ...clustered } = PRODUCTION;
    const config = loadConfig({ ...clustered, REDIS_CLUSTER_NODES: 'redis-0:6379, redis-1.redis:6380,[::1]:7000' }, 'edge', noFiles);
    assert.deepEqual(config.REDIS_CLUSTER_NODES, ['redis-0:6379', 'redis-1.redis:6380', '[::1]:7000']);
    assert.match(
      configErrorOf(() => loadConfig({ ...clustered }, 'edge', noFiles)).message,
      /REDIS_URL: required in production for the edge role \(or REDIS_CLUSTER_NODES\)/,
    );
    assert.match(
      configErrorOf(() => loadConfig({ ...PRODUCTION, REDIS_CLUSTER_NODES: 'redis-0:6379' }, 'edge', noFiles)).message,
      /REDIS_CLUSTER_NODES: set either REDIS_URL/,
    );
    assert.match(
      configErrorOf(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-0' }, 'edge', noFiles)).message,
      /REDIS_CLUSTER_NODES: must list host:port entries/,
    );
  });

  test('AMQP_URL takes every node of a RabbitMQ cluster, comma-separated; each must be an amqp URL', () => {
    const config = loadConfig({ AMQP_URL: 'amqp://u:p@rabbit-0:5672,amqp://u:p@rabbit-1:5672' }, 'edge', noFiles);
    assert.equal(config.AMQP_URL, 'amqp://u:p@rabbit-0:5672,amqp://u:p@rabbit-1:5672');
    const error = configErrorOf(() => loadConfig({ AMQP_URL: 'amqp://u:secret@rabbit-0:5672,http://rabbit-1' }, 'edge', noFiles)).message;
    assert.match(error, /AMQP_URL: must be a URL starting with amqp:\/\/ or amqps:\/\/, or a comma-separated list of them \(value hidden\)/);
    assert.doesNotMatch(error, /secret/);
  });

  test('JWT_PRIVATE_KEY_FILE is read through the readFile argument', () => {
    const reads: string[] = [];
    const pem = '-----BEGIN PRIVATE KEY-----\nfrom-the-file\n-----END PRIVATE KEY-----';
    const config = loadConfig({ ...without(PRODUCTION, 'JWT_PRIVATE_KEY'), JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt-key' }, 'worker', (p) => {
      reads.push(p);
      return `${pem}\n`;
    });
    assert.deepEqual(reads, ['/run/secrets/jwt-key']);
    assert.equal(config.JWT_PRIVATE_KEY, pem, 'read and trimmed');
  });

  test('a value set directly wins over its *_FILE variant', () => {
    const reads: string[] = [];
    const config = loadConfig({ JWT_PRIVATE_KEY: 'direct', JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt-key' }, 'worker', (p) => {
      reads.push(p);
      return 'from file';
    });
    assert.equal(config.JWT_PRIVATE_KEY, 'direct');
    assert.deepEqual(reads, []);
  });

  test('an unreadable *_FILE is a ConfigError naming the problem', () => {
    const error = configErrorOf(() =>
      loadConfig({ JWT_PRIVATE_KEY_FILE: '/run/secrets/missing' }, 'worker', () => {
        throw new Error('ENOENT: no such file');
      }),
    );
    assert.equal(error.problems.length, 1);
    assert.match(error.problems[0]!, /_FILE/);
  });
});
