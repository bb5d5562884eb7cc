import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDatabase } from './database.ts';
import { nginxArgs, nginxBinary, renderNginxConfig } from './nginx.ts';
import { freePort } from './ports.ts';
import { renderPrometheusConfig } from './prometheus.ts';
import { ManagedProcess, waitForHttpOk, type Exit, type LogLine, type Role } from './process.ts';

export { freePort, ManagedProcess, type Exit, type LogLine, type Role };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ClusterOptions {
  /** Edge nodes (default 2). */
  edges?: number;
  /** Auth workers (default 2). */
  workers?: number;
  /** Start the account API (default true). Without it nginx answers its routes with a JSON 503. */
  api?: boolean;
  /** Account API processes behind nginx (default 1): `api`, then `api-2`, ... They share the OpenID provider's state in Redis. */
  apis?: number;
  /**
   * Start the mailer (default true): it sends the workers' mail jobs (verification and reset links,
   * device codes, notices) over SMTP_URL from `env`, or writes them under DATA_DIR/outbox without it.
   */
  mailer?: boolean;
  host?: string;
  /** nginx's port (default 8080); 0 picks a free one. */
  port?: number;
  /** The first edge's port (default 9001, then 9002, ...); 0 picks a free port for each edge. */
  edgeBasePort?: number;
  /** The account API's port (default 3001); 0 picks a free one. */
  apiPort?: number;
  /**
   * Metrics ports (GET /metrics): edge-i at base+i, worker-i at base+100+i, api at base+200, mailer at
   * base+300 (default base 9100); 0 picks a free port for each process; `off` turns metrics off.
   */
  metricsBasePort?: number | 'off';
  namespace?: string;
  redisUrl?: string;
  /** A Redis Cluster (REDIS_CLUSTER_NODES, `host:port,...`) for every process instead of redisUrl. */
  redisClusterNodes?: string;
  amqpUrl?: string;
  /** PostgreSQL database for workers and api; created when missing. */
  databaseUrl?: string;
  /** Settings for every authgate process (BCRYPT_COST, DATA_DIR, ...): over the inherited environment. */
  env?: Record<string, string>;
  /** Where topology.json, nginx's files and the logs go (default .cluster). */
  dir?: string;
  nginxBin?: string;
  startTimeoutMs?: number;
  onLine?: (name: string, line: LogLine) => void;
}

export interface ClusterMember {
  name: string;
  role: Role;
  pid: number;
  url?: string | undefined;
  port?: number | undefined;
  /** GET /metrics of this process (its METRICS_PORT); undefined for nginx or with metrics off. */
  metricsUrl?: string | undefined;
  nodeId?: string | undefined;
  process: ManagedProcess;
}

export interface Topology {
  namespace: string;
  url: string;
  wsUrl: string;
  startedAt: string;
  processes: { name: string; role: Role; url: string | null; pid: number; metricsUrl: string | null; nodeId?: string }[];
  /** The Prometheus configuration written beside topology.json that scrapes every process. */
  prometheusConfig: string | null;
}

export interface Cluster {
  url: string;
  wsUrl: string;
  dir: string;
  namespace: string;
  nginx: ClusterMember;
  edges: ClusterMember[];
  workers: ClusterMember[];
  api: ClusterMember | undefined;
  /** Every account API process (`api`, `api-2`, ...). */
  apis: ClusterMember[];
  members(): ClusterMember[];
  member(name: string): ClusterMember;
  /** Starts a stopped member again with the same settings and port (after a kill in a test). */
  restart(name: string): Promise<ClusterMember>;
  topology(): Topology;
  /** Edges and api first (they drain), then workers, then nginx. Bounded; safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULTS = {
  edges: 2,
  workers: 2,
  host: '127.0.0.1',
  port: 8080,
  edgeBasePort: 9001,
  apiPort: 3001,
  metricsBasePort: 9100 as number | 'off',
  namespace: 'authgate',
  redisUrl: 'redis://127.0.0.1:6379',
  amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/authgate',
};

/** Variables of the cluster script itself, not settings of the processes it starts. */
const CLUSTER_ONLY = [
  'PORT',
  'EDGES',
  'WORKERS',
  'APIS',
  'EDGE_BASE_PORT',
  'CLUSTER_DIR',
  'NGINX_BIN',
  'NODE_ID',
  'API_PORT',
  'METRICS_PORT',
  'METRICS_BASE_PORT',
];

interface MemberSpec {
  name: string;
  role: Exclude<Role, 'nginx'>;
  env: Record<string, string>;
  /** Port asked for (0: any); after the first start, the port it got. */
  port: number | undefined;
  /** METRICS_PORT asked for (0: any, `off`); after the first start, the port it got. */
  metricsPort: number | 'off';
  nodeId?: string;
}

/**
 * The whole topology on this machine: workers first (they run the migrations and, in development,
 * create the signing key the others read), then edges and the api, then nginx in front of them.
 * Resolves once every process answers (its `authgate started` line, then /health for HTTP roles).
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const o = { ...DEFAULTS, api: true, mailer: true, dir: path.join(ROOT, '.cluster'), startTimeoutMs: 60_000, ...stripUndefined(options) };
  // Edges on free ports (tests): metrics on free ports too, unless asked otherwise.
  if (options.metricsBasePort === undefined && o.edgeBasePort === 0) o.metricsBasePort = 0;
  const dir = path.resolve(o.dir);
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  // nginx's workers drop root privileges when started as root; they must still reach their temp files.
  chmodSync(dir, 0o755);
  await ensureDatabase(o.databaseUrl);

  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !CLUSTER_ONLY.includes(k))) as Record<string, string>;
  const chosen = new Set<number>();
  // nginx's address is the public one (the OpenID issuer, the base of mail links): known before any process starts.
  const nginxPort = o.port === 0 ? await freePort(o.host) : o.port;
  chosen.add(nginxPort);
  const common: Record<string, string> = {
    ...inherited,
    NAMESPACE: o.namespace,
    REDIS_URL: o.redisUrl,
    AMQP_URL: o.amqpUrl,
    HOST: o.host,
    PUBLIC_URL: inherited.PUBLIC_URL ?? `http://${o.host}:${nginxPort}`,
    ...(o.env ?? {}),
    // The cluster reads each process's lines as JSON (its `authgate started`, the logs it keeps).
    LOG_FORMAT: 'json',
  };
  if (o.redisClusterNodes) {
    delete common.REDIS_URL;
    common.REDIS_CLUSTER_NODES = o.redisClusterNodes;
  }
  const pickPort = async () => {
    let port;
    do port = await freePort(o.host);
    while (chosen.has(port));
    chosen.add(port);
    return port;
  };
  const metricsPort = (offset: number): number | 'off' => (o.metricsBasePort === 'off' ? 'off' : o.metricsBasePort === 0 ? 0 : o.metricsBasePort + offset);
  const specs: MemberSpec[] = [];
  for (let i = 1; i <= o.workers; i++)
    specs.push({ name: `worker-${i}`, role: 'worker', port: undefined, metricsPort: metricsPort(100 + i), env: { DATABASE_URL: o.databaseUrl } });
  for (let i = 1; i <= o.edges; i++) {
    const port = o.edgeBasePort === 0 ? await pickPort() : o.edgeBasePort + i - 1;
    // Edges believe X-Forwarded-For only from nginx, which reaches them from the loopback address.
    specs.push({ name: `edge-${i}`, role: 'edge', port, metricsPort: metricsPort(i), nodeId: `edge-${i}`, env: { TRUSTED_PROXIES: '127.0.0.1' } });
  }
  if (o.api)
    for (let i = 1; i <= (o.apis ?? 1); i++)
      specs.push({
        name: i === 1 ? 'api' : `api-${i}`,
        role: 'api',
        port: o.apiPort === 0 ? await pickPort() : o.apiPort + i - 1,
        metricsPort: metricsPort(200 + i - 1),
        env: { DATABASE_URL: o.databaseUrl, TRUSTED_PROXIES: '127.0.0.1' },
      });
  if (o.mailer) specs.push({ name: 'mailer', role: 'mailer', port: undefined, metricsPort: metricsPort(300), env: {} });

  const members = new Map<string, ClusterMember>();
  const byName = new Map(specs.map((s) => [s.name, s]));
  // In a fixed order (nginx, edges by number, workers, api, mailer), however the starts interleaved.
  const ORDER: Role[] = ['nginx', 'edge', 'worker', 'api', 'mailer'];
  const names = ['nginx', ...specs.map((s) => s.name)];
  const ordered = () => [...members.values()].sort((a, b) => ORDER.indexOf(a.role) - ORDER.indexOf(b.role) || names.indexOf(a.name) - names.indexOf(b.name));
  const startedAt = new Date().toISOString();
  let stopping: Promise<void> | undefined;

  const startMember = async (spec: MemberSpec): Promise<ClusterMember> => {
    const env: Record<string, string> = { ...common, ...spec.env };
    if (spec.nodeId) env.NODE_ID = spec.nodeId;
    if (spec.role === 'edge') env.PORT = String(spec.port);
    if (spec.role === 'api') env.API_PORT = String(spec.port);
    env.METRICS_PORT = String(spec.metricsPort);
    const proc = new ManagedProcess({
      name: spec.name,
      role: spec.role,
      command: process.execPath,
      args: ['--require', './bin/threadpool.cjs', '--import', 'tsx', 'bin/authgate.ts', `--target=${spec.role}`],
      cwd: ROOT,
      env,
      logFile: path.join(dir, 'logs', `${spec.name}.log`),
      onLine: o.onLine,
    });
    try {
      const started = await proc.waitForLine((line) => line.msg === 'authgate started', o.startTimeoutMs);
      const member: ClusterMember = { name: spec.name, role: spec.role, pid: proc.pid, process: proc, nodeId: started.node as string | undefined };
      if (typeof started.metricsPort === 'number') {
        spec.metricsPort = started.metricsPort;
        member.metricsUrl = `http://${o.host}:${started.metricsPort}/metrics`;
      }
      // Workers and the mailer serve no HTTP of their own (only metrics).
      if (spec.role !== 'worker' && spec.role !== 'mailer') {
        spec.port = started.port as number;
        member.port = spec.port;
        member.url = `http://${o.host}:${spec.port}`;
        await waitForHttpOk(`${member.url}/health`, o.startTimeoutMs, () => proc.running);
      }
      members.set(spec.name, member);
      return member;
    } catch (err) {
      await proc.stop('SIGKILL', 5_000);
      throw err;
    }
  };

  const startNginx = async (): Promise<ClusterMember> => {
    const address = (name: string) => `${o.host}:${byName.get(name)!.port}`;
    const configFile = renderNginxConfig(ROOT, {
      dir,
      host: o.host,
      port: nginxPort,
      edges: specs.filter((s) => s.role === 'edge').map((s) => address(s.name)),
      api: specs.filter((s) => s.role === 'api').map((s) => address(s.name)),
    });
    const proc = new ManagedProcess({
      name: 'nginx',
      role: 'nginx',
      command: o.nginxBin ?? nginxBinary(),
      args: nginxArgs(dir, configFile),
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      logFile: path.join(dir, 'logs', 'nginx.out.log'),
    });
    const url = `http://${o.host}:${nginxPort}`;
    try {
      await waitForHttpOk(`${url}/health`, o.startTimeoutMs, () => proc.running);
    } catch (err) {
      await proc.stop('SIGKILL', 5_000);
      throw new Error(`nginx did not start: ${(err as Error).message}\n${proc.stderr}`);
    }
    const member: ClusterMember = { name: 'nginx', role: 'nginx', pid: proc.pid, url, port: nginxPort, process: proc };
    members.set('nginx', member);
    return member;
  };

  const topology = (): Topology => ({
    namespace: o.namespace,
    url: `http://${o.host}:${nginxPort}`,
    wsUrl: `ws://${o.host}:${nginxPort}/ws`,
    startedAt,
    processes: ordered().map((m) => ({
      name: m.name,
      role: m.role,
      url: m.url ?? null,
      pid: m.pid,
      metricsUrl: m.metricsUrl ?? null,
      ...(m.nodeId && m.role === 'edge' ? { nodeId: m.nodeId } : {}),
    })),
    prometheusConfig: o.metricsBasePort === 'off' ? null : path.join(dir, 'prometheus.yml'),
  });
  const writeTopology = () => {
    const current = topology();
    writeFileSync(path.join(dir, 'topology.json'), `${JSON.stringify(current, null, 2)}\n`);
    if (current.prometheusConfig)
      writeFileSync(current.prometheusConfig, renderPrometheusConfig(current.processes, { rulesFile: path.join(ROOT, 'deploy/prometheus/alerts.yml') }));
  };

  const stop = () => {
    stopping ??= (async () => {
      const all = ordered();
      const group = (roles: Role[]) => all.filter((m) => roles.includes(m.role));
      await Promise.all(group(['edge', 'api']).map((m) => m.process.stop('SIGTERM', 30_000)));
      await Promise.all(group(['worker']).map((m) => m.process.stop('SIGTERM', 30_000)));
      // The mailer last of the authgate processes: it sends what the workers queued until they stopped.
      await Promise.all(group(['mailer']).map((m) => m.process.stop('SIGTERM', 30_000)));
      // SIGQUIT: nginx's graceful stop (finish what it holds, bounded by worker_shutdown_timeout).
      await Promise.all(group(['nginx']).map((m) => m.process.stop('SIGQUIT', 10_000)));
      process.off('exit', killLeftovers);
    })();
    return stopping;
  };

  // Last resort if this process exits without stop() (a crash): children run in their own process
  // groups and would otherwise outlive it.
  const killLeftovers = () => {
    for (const m of members.values()) m.process.signal('SIGKILL');
  };
  process.once('exit', killLeftovers);

  try {
    const workerSpecs = specs.filter((s) => s.role === 'worker');
    // The first worker alone: it migrates the database and creates the development signing key.
    if (workerSpecs[0]) await startMember(workerSpecs[0]);
    await Promise.all([...workerSpecs.slice(1), ...specs.filter((s) => s.role !== 'worker')].map(startMember));
    await startNginx();
  } catch (err) {
    await stop();
    throw err;
  }
  writeTopology();

  const cluster: Cluster = {
    url: `http://${o.host}:${nginxPort}`,
    wsUrl: `ws://${o.host}:${nginxPort}/ws`,
    dir,
    namespace: o.namespace,
    get nginx() {
      return members.get('nginx')!;
    },
    get edges() {
      return ordered().filter((m) => m.role === 'edge');
    },
    get workers() {
      return ordered().filter((m) => m.role === 'worker');
    },
    get api() {
      return members.get('api');
    },
    get apis() {
      return ordered().filter((m) => m.role === 'api');
    },
    members: ordered,
    member(name) {
      const m = members.get(name);
      if (!m) throw new Error(`no cluster member named ${name}`);
      return m;
    },
    async restart(name) {
      const spec = byName.get(name);
      if (!spec) throw new Error(`no restartable member named ${name}`);
      const old = members.get(name);
      if (old?.process.running) throw new Error(`${name} is still running (pid ${old.pid})`);
      const member = await startMember(spec);
      writeTopology();
      return member;
    },
    topology,
    stop,
  };
  return cluster;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
