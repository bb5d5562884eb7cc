import { after, before, describe } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { mfaScenarios, type MfaDeployment } from '../../../test/helpers/mfa-scenarios.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';

/**
 * The second factor in the distributed shape: an edge, two workers and the account API as separate
 * processes over the machine's RabbitMQ, Redis and PostgreSQL. Two workers: a login's mfaToken made by
 * one is answered by whichever takes the verify (the challenge lives in Redis). The per-account code
 * limit is the default (10 an hour); the per-address one is set out of the way here and tested in the
 * all-in-one.
 */
describe('second factor (TOTP): edge, two workers and the account API over RabbitMQ, Redis and PostgreSQL', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('mfa');
  const namespace = uniqueNamespace('mfa');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let deployment: MfaDeployment;

  before(async () => {
    database = await createTestDatabase('mfa');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      MFA_IP_MAX_FAILURES: '1000',
    };
    // The first worker makes the development MFA key in DATA_DIR; the second finds and uses it.
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    const started = await Promise.all([
      startProcess('worker', { ...common, DATABASE_URL: database.url }),
      startProcess('edge', common),
      startProcess('api', { ...common, DATABASE_URL: database.url }),
    ]);
    processes.push(...started);
    const [, edge, api] = started;
    deployment = {
      url: edge!.url,
      wsUrl: edge!.wsUrl,
      apiUrl: api!.url,
      limits: { account: 10, ip: 1000 },
      logLines: () => processes.flatMap((p) => p.lines),
      storedValues: async () => {
        const redis = new Redis(REDIS_URL);
        const db = new pg.Client({ connectionString: database.url });
        try {
          const values: string[] = [];
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
            cursor = next;
            for (const key of keys) {
              const type = await redis.type(key);
              const value =
                type === 'string'
                  ? await redis.get(key)
                  : type === 'hash'
                    ? await redis.hgetall(key)
                    : type === 'zset'
                      ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                      : type === 'set'
                        ? await redis.smembers(key)
                        : type === 'list'
                          ? await redis.lrange(key, 0, -1)
                          : null;
              values.push(`${key} ${JSON.stringify(value)}`);
            }
          } while (cursor !== '0');
          await db.connect();
          for (const table of ['totp_enrolments', 'totp_recovery_codes']) {
            for (const row of (await db.query(`SELECT * FROM ${table}`)).rows) values.push(...Object.values(row).map(String));
          }
          return values;
        } finally {
          redis.disconnect();
          await db.end();
        }
      },
    };
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  mfaScenarios(() => deployment, { readsStores: true });
});
