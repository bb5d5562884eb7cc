import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { SmtpMailbox } from '../../../test/helpers/mailbox.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';
import { signTestToken } from '../../../test/helpers/tokens.ts';
import { type PasskeyDeployment, passkeyScenarios } from './scenarios.ts';

/**
 * Passkeys through the real services: two edges, two workers, the account API and a mailer (to an SMTP
 * server in this process) over RabbitMQ, Redis and PostgreSQL; the challenges in Redis, so that options
 * made by one worker are taken by the other. Beside them, in namespaces of their own on the same
 * database: an edge and a worker with REQUIRE_VERIFIED_EMAIL=on, and an edge and a worker whose
 * PUBLIC_URL is an IP address.
 */
const PUBLIC_URL = 'https://auth.example.test';
const TTL_S = 5;
const IP_LIMIT = 10;

describe('passkeys: two edges, two workers, the account API and a mailer over RabbitMQ, Redis and PostgreSQL', () => {
  const processes: RunningProcess[] = [];
  const data = tempDir('passkeys');
  const namespace = uniqueNamespace('passkeys');
  const strictNamespace = uniqueNamespace('passkeys-strict');
  const ipNamespace = uniqueNamespace('passkeys-ip');
  const adminId = randomUUID();
  const redis = new Redis(REDIS_URL);
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let mailbox: SmtpMailbox;
  let deployment: PasskeyDeployment;

  before(async () => {
    [database, mailbox] = await Promise.all([createTestDatabase('passkeys'), SmtpMailbox.start()]);
    const common = {
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'debug',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      MFA_IP_MAX_FAILURES: '1000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      PUBLIC_URL,
      PASSKEY_CHALLENGE_TTL_S: String(TTL_S),
    };
    const main = { ...common, NAMESPACE: namespace };
    const strict = { ...common, NAMESPACE: strictNamespace, REQUIRE_VERIFIED_EMAIL: 'on' };
    const ip = { ...common, NAMESPACE: ipNamespace, PUBLIC_URL: 'http://127.0.0.1:8080', RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT) };
    // The first worker migrates the database and makes the development keys the others read.
    processes.push(await startProcess('worker', { ...main, DATABASE_URL: database.url }));
    const started = await Promise.all([
      // A second worker: options answered by one worker are taken by whichever answers the response.
      startProcess('worker', { ...main, DATABASE_URL: database.url }),
      startProcess('edge', main),
      startProcess('edge', main),
      startProcess('api', { ...main, DATABASE_URL: database.url, ADMIN_USER_IDS: adminId }),
      startProcess('mailer', { ...main, SMTP_URL: mailbox.url }),
      startProcess('worker', { ...strict, DATABASE_URL: database.url }),
      startProcess('edge', strict),
      startProcess('worker', { ...ip, DATABASE_URL: database.url }),
      startProcess('edge', ip),
    ]);
    processes.push(...started);
    const [, a, b, api, , , strictEdge, , ipEdge] = started;
    const signing = await loadSigningKey(loadConfig({ NODE_ENV: 'test', DATA_DIR: data.dir }, 'worker'));
    deployment = {
      a: { url: a!.url, wsUrl: a!.wsUrl },
      b: { url: b!.url, wsUrl: b!.wsUrl },
      apiUrl: api!.url,
      origin: PUBLIC_URL,
      rpId: new URL(PUBLIC_URL).hostname,
      challengeTtlS: TTL_S,
      mailbox,
      adminToken: () => signTestToken(signing, { JWT_ISSUER: 'authgate', JWT_AUDIENCE: 'authgate' }, { sub: adminId }),
      logLines: () => processes.flatMap((p) => p.lines.map((line) => JSON.stringify(line))),
      ipHost: { url: ipEdge!.url, wsUrl: ipEdge!.wsUrl },
      ipLimit: IP_LIMIT,
      strict: async () => ({ url: strictEdge!.url, wsUrl: strictEdge!.wsUrl }),
      challengeTtlLeftMs: (challengeId) => redis.pttl(`${namespace}:passkeys:challenge:login:${challengeId}`),
    };
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    redis.disconnect();
    await mailbox?.close();
    await database?.drop();
    for (const ns of [namespace, strictNamespace, ipNamespace]) await cleanupNamespace(ns);
    data.remove();
  });

  passkeyScenarios(() => deployment);

  test('both workers made and answered passkey challenges (the lane hands commands to each in turn)', () => {
    const workers = processes.filter((p) => p.target === 'worker').slice(0, 2);
    for (const worker of workers) {
      const kinds = new Set(worker.lines.filter((line) => line.msg === 'command handled').map((line) => line.kind));
      assert.ok(kinds.has('passkey_login_options') && kinds.has('passkey_login'), `worker ${worker.nodeId} handled ${[...kinds].join(', ')}`);
    }
  });
});
