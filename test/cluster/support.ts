import type { AuthgateSocket, ResultFrame } from '@authgate/shared/client/socket-client';
import { ERROR_STATUS } from '@authgate/shared/errors';
import { startCluster, type Cluster, type ClusterOptions } from '../../scripts/cluster/index.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { openSocket } from '../helpers/sockets.ts';

/**
 * A cluster of its own for one test file: nginx on a free port, edges and api on free ports, its own
 * namespace, database and data directory, all removed by `cleanup`.
 */
export async function startTestCluster(label: string, options: ClusterOptions = {}): Promise<{ cluster: Cluster; cleanup: () => Promise<void> }> {
  const database = await createTestDatabase(`cluster_${label}`);
  const namespace = uniqueNamespace(label);
  const data = tempDir(`cluster-${label}`);
  const cleanup = async (cluster?: Cluster) => {
    await cluster?.stop();
    await database.drop();
    await cleanupNamespace(namespace);
    // KEEP_CLUSTER_DIR=1 leaves the logs (nginx's access and error logs, each process's) for a look.
    if (process.env.KEEP_CLUSTER_DIR) console.log(`cluster files kept in ${data.dir}`);
    else data.remove();
  };
  try {
    const cluster = await startCluster({
      port: 0,
      edgeBasePort: 0,
      apiPort: 0,
      namespace,
      redisUrl: REDIS_URL,
      amqpUrl: AMQP_URL,
      databaseUrl: database.url,
      dir: `${data.dir}/cluster`,
      startTimeoutMs: 90_000,
      ...options,
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATA_DIR: `${data.dir}/data`,
        BCRYPT_COST: '4',
        // These tests log many accounts in at once from one address (the test runner): the brute-force
        // budgets, which count a login as a failure until the worker reports its success, are opened up.
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        PASSWORD_WORK_PER_SOURCE: '10000',
        LOGIN_FREE_FAILURES: '1000',
        LOGIN_ACCOUNT_MAX_FAILURES: '100000',
        // Their bursts (300 logins at once while an edge is killed) are far past the password lane on
        // purpose, to test delivery; admission that fails fast has its own tests (overload-admission).
        OVERLOAD_ADMIT_SHARE: '0',
        ...(options.env ?? {}),
      },
    });
    return { cluster, cleanup: () => cleanup(cluster) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** An answer that docs/errors.md names: a JSON error whose code is in the contract and whose status matches it. */
export function isExplicitError(status: number, body: any): boolean {
  const code = body?.error?.code as keyof typeof ERROR_STATUS | undefined;
  return code !== undefined && ERROR_STATUS[code] === status && typeof body.error.message === 'string' && typeof body.error.requestId === 'string';
}

export type Outcome =
  | { kind: 'result'; status: number }
  | { kind: 'error'; status: number; code: string; requestId?: string }
  | { kind: 'failure'; detail: string };

/** nginx's own request ids are 32 hex digits; the edges' are UUIDs. */
export const isNginxRequestId = (id: string | undefined) => /^[0-9a-f]{32}$/.test(id ?? '');

/** One REST request, bounded in time; whatever happens becomes an Outcome, never a throw or a hang. */
export async function restOutcome(url: string, path: string, body: unknown, timeoutMs = 30_000): Promise<Outcome> {
  try {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      return { kind: 'failure', detail: `status ${res.status} with a body that is not JSON: ${text.slice(0, 120)}` };
    }
    if (res.ok) return { kind: 'result', status: res.status };
    if (isExplicitError(res.status, parsed)) return { kind: 'error', status: res.status, code: parsed.error.code, requestId: parsed.error.requestId };
    return { kind: 'failure', detail: `status ${res.status}: ${text.slice(0, 200)}` };
  } catch (err) {
    return { kind: 'failure', detail: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * A WebSocket client that behaves as docs/websocket.md asks of one: when the server closes the connection
 * (1001 going away, or a lost node), it reconnects through nginx and sends again every request that
 * had no result yet. Logs every close it saw, so tests can tell what happened.
 */
export class ReconnectingClient {
  readonly closes: number[] = [];
  readonly nodes: string[] = [];
  private socket: AuthgateSocket | undefined;
  private connecting: Promise<AuthgateSocket> | undefined;

  constructor(private readonly wsUrl: string) {}

  get connectionId(): string | undefined {
    return this.socket?.connectionId;
  }

  async connect(): Promise<AuthgateSocket> {
    if (this.socket && !this.socket.closed) return this.socket;
    this.connecting ??= (async () => {
      let lastError: unknown;
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          const socket = await openSocket(this.wsUrl);
          this.socket = socket;
          this.nodes.push(socket.connectionId.split('.')[0]!);
          socket.waitForClose().then((event) => this.closes.push(event.code));
          return socket;
        } catch (err) {
          lastError = err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      throw new Error(`cannot reconnect: ${(lastError as Error).message}`);
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Sends the request until a result arrives (at most `attempts` connections), each wait bounded. */
  async request(
    type: 'login' | 'register',
    fields: Record<string, unknown>,
    attempts = 5,
    timeoutMs = 30_000,
  ): Promise<{ frame: ResultFrame; attempts: number }> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const socket = await withTimeout(this.connect(), timeoutMs, 'reconnect');
      const closed = socket.waitForClose().then(() => 'closed' as const);
      const answer = await withTimeout(Promise.race([socket.request(type, fields), closed]), timeoutMs, `${type} over WebSocket`);
      if (answer !== 'closed') return { frame: answer, attempts: attempt };
    }
    throw new Error(`${type}: the connection closed ${attempts} times before a result`);
  }

  close(): void {
    this.socket?.close();
  }
}
