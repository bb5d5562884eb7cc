import http from 'node:http';
import { startProcess, type RunningProcess } from '../../scripts/lib/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../scripts/lib/services.ts';

export interface Pipeline {
  edges: RunningProcess[];
  worker: RunningProcess;
  stop(): Promise<void>;
}

/** Limits a benchmark must not trip: it measures the pipeline, not the guards. */
export const OPEN_LIMITS = {
  RATE_LIMIT_IP_PER_MINUTE: '10000000',
  PASSWORD_WORK_PER_SOURCE: '10000',
  REQUEST_TIMEOUT_MS: '60000',
  WS_MAX_MESSAGES_PER_10S: '100000',
};

/** Edges and one worker as separate processes over RabbitMQ, Redis and PostgreSQL, in a fresh namespace. */
export async function startPipeline(options: {
  edges: number;
  bcryptCost: number;
  redisUrl?: string;
  env?: Record<string, string>;
  /** Variables for edge i alone (e.g. its own inspector port). */
  edgeEnv?: (i: number) => Record<string, string>;
}): Promise<Pipeline> {
  const namespace = uniqueNamespace('bench');
  const database = await createTestDatabase('bench');
  const data = tempDir('bench');
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const env = {
    NAMESPACE: namespace,
    AMQP_URL,
    REDIS_URL: redisUrl,
    DATA_DIR: data.dir,
    BCRYPT_COST: String(options.bcryptCost),
    ...OPEN_LIMITS,
    ...options.env,
  };
  const worker = await startProcess('worker', { ...env, DATABASE_URL: database.url });
  const edges = await Promise.all(Array.from({ length: options.edges }, (_, i) => startProcess('edge', { ...env, ...options.edgeEnv?.(i) })));
  let stopped = false;
  return {
    edges,
    worker,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(edges.map((e) => e.stop()));
      await worker.stop();
      await database.drop();
      if (!options.redisUrl) await cleanupNamespace(namespace);
      data.remove();
    },
  };
}

/**
 * The benches' HTTP client: node:http over kept-alive connections. fetch (undici, web streams) cost
 * the bench process ~3 ms of CPU per request, 8 % of a core at bench (j)'s 24 logins a second: the
 * load generator took that share from the bcrypt threads it measured; this one takes half.
 */
const agent = new http.Agent({ keepAlive: true });

export function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const payload = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, body: parsedOrUndefined(Buffer.concat(chunks).toString('utf8')) }));
    });
    request.on('error', reject);
    request.end(payload);
  });
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const PASSWORD = 'bench password 1';

export async function registerAndLogin(baseUrl: string, label: string): Promise<{ accessToken: string; refreshToken: string }> {
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
  const reg = await post(`${baseUrl}/auth/register`, { email, password: PASSWORD });
  if (reg.status !== 201) throw new Error(`register answered ${reg.status}`);
  const login = await post(`${baseUrl}/auth/login`, { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
  return login.body;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
