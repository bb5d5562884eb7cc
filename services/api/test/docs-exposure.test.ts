import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type Config } from '@authgate/shared/config';
import { createLogger } from '@authgate/shared/logger';
import { startApi, type ApiHandle } from '../src/index.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';
import { composeDrivers, type Drivers } from '@authgate/shared/composition';

/**
 * The OpenAPI UI and document at /docs map the whole API for an attacker; in
 * production they are served only when API_DOCS=on. The config is built as a test one and then told
 * it is production, so the production-only secrets need not be made up here.
 */
describe('account API: /docs in production', () => {
  const data = tempDir('api-docs');
  const namespace = uniqueNamespace('api-docs');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const running: ApiHandle[] = [];
  const composed: Drivers[] = [];
  let base: Config;

  before(async () => {
    database = await createTestDatabase('api_docs');
    base = loadConfig(
      { NODE_ENV: 'test', HOST: '127.0.0.1', API_PORT: '0', DATA_DIR: data.dir, DATABASE_URL: database.url, REDIS_URL, NAMESPACE: namespace },
      'api',
    );
  });
  after(async () => {
    for (const api of running) await api.stop();
    for (const drivers of composed) await drivers.close();
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  async function docsStatus(overrides: Partial<Config>): Promise<number[]> {
    const config = { ...base, ...overrides } as Config;
    const log = createLogger({ level: 'silent', name: 'api-docs-test' });
    const drivers = await composeDrivers(config, 'api', log);
    composed.push(drivers);
    const api = await startApi(config, { ...drivers.api(), log }, { listen: true });
    running.push(api);
    const statuses: number[] = [];
    for (const path of ['/docs', '/docs/json', '/docs/static/index.html']) {
      const res = await fetch(`http://127.0.0.1:${api.port}${path}`, { redirect: 'manual' });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    return statuses;
  }

  test('production, API_DOCS not set: /docs, /docs/json and the UI files answer 404', async () => {
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        DATABASE_URL: database.url,
        REDIS_URL,
        AMQP_URL,
        JWT_PUBLIC_JWKS: '{"keys":[]}',
        PUBLIC_URL: 'https://auth.example.com',
        OIDC_SIGNING_KEY: 'stand-in',
        OIDC_COOKIE_KEYS: 'c'.repeat(43),
      },
      'api',
    );
    assert.equal(config.API_DOCS, false);
    assert.deepEqual(await docsStatus({ NODE_ENV: 'production', API_DOCS: config.API_DOCS }), [404, 404, 404]);
  });

  test('production with API_DOCS=on, and development by default: served', async () => {
    for (const overrides of [{ NODE_ENV: 'production' as const, API_DOCS: true }, {}]) {
      const [ui, json] = await docsStatus(overrides);
      assert.ok(ui === 200 || ui === 302, `UI ${ui} with ${JSON.stringify(overrides)}`);
      assert.equal(json, 200, `JSON with ${JSON.stringify(overrides)}`);
    }
  });
});
