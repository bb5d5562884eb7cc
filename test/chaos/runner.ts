import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { startCluster, type Cluster } from '../../scripts/cluster/index.ts';
import { AuditTap } from './audit-tap.ts';
import { Ledger } from './client/ledger.ts';
import { VirtualUser } from './client/virtual-user.ts';
import type { Fault, FaultContext } from './faults.ts';
import { summarize, type PhaseReport } from './report.ts';
import { startBackends, type BackendChoice, type Backends } from './services/index.ts';

export interface ChaosOptions {
  faults: readonly Fault[];
  /** Which dependencies run privately (those the faults need must). */
  backends: BackendChoice;
  /** Concurrent clients, each with its own WebSocket through nginx. */
  users: number;
  thinkMs: number;
  /** Each fault's phase goes on until at least this many requests were sent. */
  minRequestsPerFault: number;
  /** Load before the fault, and after it was over. */
  warmupMs: number;
  tailMs: number;
  /** A phase stops sending after this long, however few requests it has. */
  maxPhaseMs: number;
  /** How long a restarted dependency stays down (stop, this pause, start). */
  downMs: number;
  /** The cluster's REQUEST_TIMEOUT_MS; a request unanswered this long + marginMs is lost. */
  requestTimeoutMs: number;
  marginMs: number;
  edges?: number;
  workers?: number;
  /** Settings for every authgate process, over the harness's defaults. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

/**
 * The chaos run: private dependencies, the local cluster (nginx, edges, workers) on top of them, and
 * for each fault in turn a phase of mixed register/login/refresh load through nginx while the fault
 * is injected. Everything it started is stopped at the end, also when it fails.
 */
export async function runChaos(options: ChaosOptions): Promise<PhaseReport[]> {
  const log = options.log ?? (() => {});
  for (const fault of options.faults) {
    if (fault.needs && !options.backends[fault.needs]) throw new Error(`fault "${fault.name}" needs a private ${fault.needs}`);
  }
  const runId = randomBytes(3).toString('hex');
  const namespace = `chaos-${runId}`;
  log(
    `starting private ${
      Object.entries(options.backends)
        .filter(([, v]) => v)
        .map(([k]) => k)
        .join(', ') || 'nothing'
    } ...`,
  );
  const backends = await startBackends(options.backends, namespace);
  let cluster: Cluster | undefined;
  // Every audit event the broker accepts, counted beside the audit writers (before the first one).
  const tap = new AuditTap(backends.amqpUrl, namespace);
  try {
    await tap.attach();
    log('starting the cluster ...');
    cluster = await startCluster({
      edges: options.edges ?? 2,
      workers: options.workers ?? 2,
      api: false,
      port: 0,
      edgeBasePort: 0,
      namespace,
      redisUrl: backends.redisUrl,
      redisClusterNodes: backends.redisCluster?.nodesSetting,
      amqpUrl: backends.amqpUrl,
      databaseUrl: backends.databaseUrl,
      dir: path.join(backends.dir, 'cluster'),
      startTimeoutMs: 120_000,
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATA_DIR: path.join(backends.dir, 'data'),
        BCRYPT_COST: '4',
        REQUEST_TIMEOUT_MS: String(options.requestTimeoutMs),
        // The clients all come from one address: the limits under test here are not the rate limits.
        RATE_LIMIT_IP_PER_MINUTE: '10000000',
        PASSWORD_WORK_PER_SOURCE: '10000',
        LOGIN_ACCOUNT_MAX_FAILURES: '1000000',
        // A client that got no answer to a refresh (timeout, a dropped connection) sends it again with the
        // same token: the grace hands the same successor back to the session's own device while it is
        // unused (docs/rest.md, token pair). The window covers a whole request deadline and the retry.
        REFRESH_GRACE_MS: String(Math.min(60_000, options.requestTimeoutMs * 2)),
        ...options.env,
      },
    });
    const ctx: FaultContext = { cluster, backends, downMs: options.downMs, tap };
    const reports: PhaseReport[] = [];
    for (const [i, fault] of options.faults.entries()) {
      log(`${fault.name}: load, then the fault ...`);
      const report = await runPhase(ctx, fault, `${runId}-${i}`, options);
      reports.push(report);
      log(`${fault.name}: sent ${report.sent}, lost ${report.lost}, duplicated ${report.duplicated}, recovery ${report.recoveryS.toFixed(1)} s`);
      const a = report.audit;
      log(
        `${fault.name}: audit events emitted ${a.emitted} (published ${a.published}), stored ${a.stored}, missing ${a.missing}, duplicate rows ${a.duplicateRows}, stored all within ${a.settleS.toFixed(1)} s; the live writers since their start: failed batches ${a.writers.failedBatches}, redelivered ${a.writers.redelivered}, duplicates skipped ${a.writers.duplicatesSkipped}`,
      );
    }
    return reports;
  } finally {
    await cluster?.stop().catch((err: unknown) => log(`cluster stop: ${(err as Error).message}`));
    await tap.remove().catch((err: unknown) => log(`audit tap: ${(err as Error).message}`));
    await backends.cleanup();
  }
}

async function runPhase(ctx: FaultContext, fault: Fault, label: string, options: ChaosOptions): Promise<PhaseReport> {
  const ledger = new Ledger();
  const settings = {
    wsUrl: ctx.cluster.wsUrl,
    httpUrl: ctx.cluster.url,
    requestTimeoutMs: options.requestTimeoutMs,
    marginMs: options.marginMs,
    thinkMs: options.thinkMs,
    ledger,
    label,
  };
  const users = Array.from({ length: options.users }, (_, i) => new VirtualUser(i, settings));
  await Promise.all(users.map((u) => u.connect()));
  let sending = true;
  const loops = users.map((u) => u.run(() => sending));
  const started = Date.now();
  await sleep(options.warmupMs);
  const faultAt = Date.now();
  await fault.inject(ctx);
  const backAt = Date.now();
  const enough = () => Date.now() - backAt >= options.tailMs && ledger.ops.length + ledger.inFlight >= options.minRequestsPerFault;
  while (!enough() && Date.now() - started < options.maxPhaseMs) await sleep(100);
  sending = false;
  await Promise.all(loops);
  for (const u of users) u.close();
  await fault.heal?.(ctx);
  // A process that died by itself is a finding of the phase; it is restarted for the next one.
  const crashed = ctx.cluster
    .members()
    .filter((m) => !m.process.running)
    .map((m) => m.name);
  for (const name of crashed) await ctx.cluster.restart(name);
  const rows = await checkRows(ctx.backends, ledger, label);
  const writers = ctx.cluster
    .members()
    .filter((m) => m.role === 'worker' && m.metricsUrl)
    .map((m) => m.metricsUrl!);
  const audit = await ctx.tap.check(ctx.backends.databaseUrl, writers, Date.now());
  return { ...summarize(fault.name, ledger, faultAt, backAt, rows), crashed, audit };
}

/** Straight from the users table: more than one row for an email, or a row nobody was told of. */
async function checkRows(backends: Backends, ledger: Ledger, label: string): Promise<{ duplicateRows: number; rowsWithoutAnswer: number }> {
  const client = new pg.Client({ connectionString: backends.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ email: string; n: number }>(
      `SELECT lower(email) AS email, count(*)::int AS n FROM users WHERE email LIKE $1 GROUP BY 1`,
      [`chaos-${label}-%`],
    );
    return {
      duplicateRows: rows.filter((r) => r.n > 1).reduce((sum, r) => sum + r.n - 1, 0),
      rowsWithoutAnswer: rows.filter((r) => !ledger.registered.has(r.email)).length,
    };
  } finally {
    await client.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
