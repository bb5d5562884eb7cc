import { after, before, describe } from 'node:test';
import amqplib from 'amqplib';
import pg from 'pg';
import { newAuditEvent } from '@authgate/shared/events/schema';
import { poisonScenarios, type PoisonDeployment } from './helpers/poison-scenarios.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';

/**
 * Text PostgreSQL cannot store, on every route of the distributed shape: an edge, a worker (with the
 * audit writer beside it) and the account API over the machine's RabbitMQ, Redis and PostgreSQL. Here
 * a poisoned event can also be put straight onto the RabbitMQ exchange, past every check.
 */
describe('unstorable text refused, the audit trail never stopped: edge, worker and account API', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('poison');
  const namespace = uniqueNamespace('poison');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let reader: pg.Client;
  let deployment: PoisonDeployment;

  before(async () => {
    database = await createTestDatabase('poison');
    const common = {
      AMQP_URL,
      REDIS_URL,
      NAMESPACE: namespace,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      CHECK_EMAIL_PER_MINUTE: '1000',
      DEVICE_VERIFICATION: 'off',
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    const [edge, api] = await Promise.all([startProcess('edge', common), startProcess('api', { ...common, DATABASE_URL: database.url })]);
    processes.push(edge!, api!);
    reader = new pg.Client({ connectionString: database.url });
    await reader.connect();
    deployment = {
      url: edge!.url,
      wsUrl: edge!.wsUrl,
      apiUrl: api!.url,
      async injectPoisonedEvent() {
        const event = newAuditEvent({ type: 'login.failed', deviceId: 'a\u0000b', data: { note: 'x\ud800' } });
        const connection = await amqplib.connect(AMQP_URL);
        const channel = await connection.createConfirmChannel();
        channel.publish(`${namespace}.events`, event.type, Buffer.from(JSON.stringify(event)), { persistent: true, contentType: 'application/json' });
        await channel.waitForConfirms();
        await connection.close();
        return event.id;
      },
      isStored: async (eventId) => (await reader.query('SELECT 1 FROM audit_events WHERE id = $1', [eventId])).rowCount === 1,
    };
  });

  after(async () => {
    await reader?.end();
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  poisonScenarios(() => deployment, { bus: true });
});
