import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startProcess, type RunningProcess } from '../../helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../helpers/services.ts';
import { recordSecret } from './secrets.ts';

/** An RS256 key the test holds itself, so it can sign tokens as a worker would (or as an attacker could). */
export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  pem: string;
  publicJwk: JWK & { kid: string };
}

export async function newRsaKey(): Promise<TestKey> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  // The key itself is a secret the logs must never show: one base64 line of the PEM, and the JWK's d.
  recordSecret(pem.split('\n')[5]);
  recordSecret(((await exportJWK(privateKey)).d ?? '').slice(0, 40));
  return { kid, privateKey, pem, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

export const jwksOf = (...keys: TestKey[]) => JSON.stringify({ keys: keys.map((k) => k.publicJwk) });

/** Everything a process printed, kept after it stops: the log scan reads every process of the suite. */
export interface CapturedOutput {
  name: string;
  process: RunningProcess;
  stderr: string[];
}
export const everyProcess: CapturedOutput[] = [];

async function started(name: string, target: 'edge' | 'worker', env: Record<string, string>): Promise<RunningProcess> {
  const proc = await startProcess(target, env, 60_000);
  const captured: CapturedOutput = { name, process: proc, stderr: [] };
  proc.child.stderr!.on('data', (chunk: Buffer) => captured.stderr.push(chunk.toString()));
  everyProcess.push(captured);
  return proc;
}

export interface Deployment {
  namespace: string;
  databaseUrl: string;
  key: TestKey;
  previousKey: TestKey | undefined;
  worker: RunningProcess;
  a: RunningProcess;
  b: RunningProcess;
  /** A further edge of the same deployment (same Redis, queue and keys). */
  startEdge(extra?: Record<string, string>): Promise<RunningProcess>;
  /** Stops the worker and starts another with `extra` on top of its settings. */
  restartWorker(extra?: Record<string, string>): Promise<RunningProcess>;
  redis(): Redis;
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  /** Settings of every process (limits, timeouts). */
  env?: Record<string, string>;
  /** The worker signs with this key; edges publish it as current (a fresh one if not given). */
  key?: TestKey;
  /** Published by the edges as the previous key (JWT_PREVIOUS_PUBLIC_JWKS). */
  previousKey?: TestKey;
  /** Extra settings of the first worker only. */
  workerEnv?: Record<string, string>;
}

/**
 * Two edges and a worker as separate processes, as in production: real RabbitMQ, Redis and
 * PostgreSQL, a namespace and database of their own, LOG_LEVEL=debug so every line a process can
 * print is printed (and scanned for secrets at the end), BCRYPT_COST=4 unless a case needs more.
 * The brute-force limits are set high here; the cases that attack them set their own.
 */
export async function startDeployment(label: string, options: DeploymentOptions = {}): Promise<Deployment> {
  const namespace = uniqueNamespace(`sec-${label}`);
  const data = tempDir(`sec-${label}`);
  const database = await createTestDatabase(`sec_${label}`);
  const key = options.key ?? (await newRsaKey());
  const common: Record<string, string> = {
    NAMESPACE: namespace,
    AMQP_URL,
    REDIS_URL,
    DATA_DIR: data.dir,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'debug',
    TRUSTED_PROXIES: '127.0.0.1',
    RATE_LIMIT_IP_PER_MINUTE: '100000',
    // The suite's clients share loopback; test/attacks/password-lane.test.ts attacks this budget.
    PASSWORD_WORK_PER_SOURCE: '10000',
    LOGIN_ACCOUNT_MAX_FAILURES: '100000',
    LOGIN_FREE_FAILURES: '1000',
    // The brute-force and enumeration cases send failed logins from many addresses at once, which is
    // what the stuffing defence answers with challenges; it has its own suite (features/stuffing/test),
    // and here each case tests the limits beneath it.
    STUFFING_DEFENCE: 'off',
    ...options.env,
  };
  const workerEnv = { ...common, DATABASE_URL: database.url, JWT_PRIVATE_KEY: key.pem };
  const edgeEnv = {
    ...common,
    JWT_PUBLIC_JWKS: jwksOf(key),
    ...(options.previousKey ? { JWT_PREVIOUS_PUBLIC_JWKS: jwksOf(options.previousKey) } : {}),
  };
  let edges = 0;
  let workers = 0;
  const processes: RunningProcess[] = [];
  const startEdge = async (extra: Record<string, string> = {}) => {
    const edge = await started(`${label}/edge-${++edges}`, 'edge', { ...edgeEnv, ...extra });
    processes.push(edge);
    return edge;
  };
  const startWorker = async (extra: Record<string, string> = {}) => {
    const worker = await started(`${label}/worker-${++workers}`, 'worker', { ...workerEnv, ...extra });
    processes.push(worker);
    return worker;
  };
  const cleanup = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database.drop();
    await cleanupNamespace(namespace);
    data.remove();
  };
  // The three at once: the edges are given the public key (JWT_PUBLIC_JWKS) rather than reading the
  // worker's from DATA_DIR, and declare the queues they publish to themselves. Every start is awaited
  // before a failure is thrown, so that cleanup stops whatever did start.
  const starts = await Promise.allSettled([startWorker(options.workerEnv), startEdge(), startEdge()]);
  const failed = starts.find((start) => start.status === 'rejected');
  if (failed) {
    await cleanup();
    throw failed.reason;
  }
  const startedAt = (i: number): RunningProcess => (starts[i] as PromiseFulfilledResult<RunningProcess>).value;
  let worker = startedAt(0);
  const a = startedAt(1);
  const b = startedAt(2);
  const clients: Redis[] = [];
  const deployment: Deployment = {
    namespace,
    databaseUrl: database.url,
    key,
    previousKey: options.previousKey,
    get worker() {
      return worker;
    },
    a,
    b,
    startEdge,
    async restartWorker(extra = {}) {
      await worker.stop();
      worker = await startWorker(extra);
      return worker;
    },
    redis() {
      const client = new Redis(REDIS_URL);
      clients.push(client);
      return client;
    },
    async query(sql, params = []) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
      await cleanup();
    },
  };
  return deployment;
}
