import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { round, startPipeline } from './deployment.ts';
import { collectGarbage, freeLoopbackPort, inspectOption } from './inspector.ts';

/**
 * (e) WebSockets held open by several edges on one machine, and each edge's memory per connection.
 * No process may hold more sockets than its file-descriptor limit (20,000 here), so the target is
 * spread over `edges` edges and over client processes of at most HOLDER_MAX sockets, each from its own
 * 127.x source address (no address runs out of ephemeral ports).
 *
 * Memory per connection is each server's growth between a warm first batch and the full count, both
 * read after full garbage collections (asked through the process's inspector, loopback, on in this
 * bench only): the V8 heap in use and the RSS, as the edge's own /metrics reports them. The baseline,
 * in the same run and with as many connections as one edge: a bare uWebSockets.js server
 * (bare-ws.ts) with the edge's socket options and no state of its own per socket.
 */
const HOLDER_MAX = 15_000;
/**
 * The servers' young generation is capped at 1 MiB semi-spaces (default 16): after a burst V8 keeps the
 * young generation's pages (up to 2 x 16 MiB) pooled, resident, until its memory reducer runs, which on
 * a busy machine took from 8 s to over 25 s (read off /proc/<pid>/smaps: 256 KiB pages going away).
 * With the cap what a connection keeps (old generation, native) is read without 10-30 MiB of noise.
 */
const V8_OPTIONS = '--max-semi-space-size=1';
const WARM_PER_SERVER = 1_000;

export interface ConnectionsOptions {
  target: number;
  edges: number;
  /** No holder starts a connection after this; the run ends even if the target is out of reach. */
  openDeadlineMs: number;
}

interface Memory {
  /** The server's own count (the edge's authgate_ws_connections); undefined for the bare server. */
  connections: number | undefined;
  heapUsed: number;
  rss: number;
}
interface Server {
  wsUrl: string;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

export async function benchConnections(options: ConnectionsOptions): Promise<Record<string, unknown>> {
  const { target, edges: edgeCount, openDeadlineMs } = options;
  const t0 = Date.now();
  const progress = (what: string) => process.stderr.write(`  e +${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}\n`);
  const inspectPorts = await Promise.all(Array.from({ length: edgeCount + 1 }, () => freeLoopbackPort()));
  const pipeline = await startPipeline({
    edges: edgeCount,
    bcryptCost: 4,
    edgeEnv: (i) => ({ NODE_OPTIONS: `${inspectOption(inspectPorts[i]!)} ${V8_OPTIONS}` }),
  });
  const holders: Holder[] = [];
  let bare: Server | undefined;
  try {
    bare = await startBare(inspectPorts[edgeCount]!);
    const edges: Server[] = pipeline.edges.map((edge, i) => ({
      wsUrl: edge.wsUrl,
      memory: () => edgeMemory(edge.metricsPort!, inspectPorts[i]!),
      stop: async () => {},
    }));
    const servers = [...edges, bare];
    progress(`${edgeCount} edges and the bare server started`);

    const perEdge = spread(target, edgeCount);
    const full = [...perEdge, perEdge[0]!];
    const warm = full.map((n) => Math.min(WARM_PER_SERVER, n));
    const warmStarted = Date.now();
    holders.push(...holdAll(servers, warm, 2, openDeadlineMs));
    const warmOpened = await Promise.all(holders.map((h) => h.opened));
    const warmSeconds = (Date.now() - warmStarted) / 1000;
    progress(`warm batch open (${sum(warmOpened.map((o) => o.open))})`);
    const before = await Promise.all(servers.map((s) => settled(s)));
    progress('warm memory read');

    const fullStarted = Date.now();
    const more = holdAll(
      servers,
      full.map((n, i) => n - warm[i]!),
      2 + holders.length,
      openDeadlineMs,
    );
    holders.push(...more);
    const fullOpened = await Promise.all(more.map((h) => h.opened));
    const fullSeconds = (Date.now() - fullStarted) / 1000;
    progress(`all open (${sum(fullOpened.map((o) => o.open))} more, ${holders.length} holders)`);
    const after = await Promise.all(servers.map((s) => settled(s)));
    progress('full memory read');

    const opened = [...warmOpened, ...fullOpened];
    const heldByClients = (url: string, of: Opened[]) => sum(of.map((o) => o.openByUrl[url] ?? 0));
    const rows = servers.map((s, i) => {
      const countBefore = before[i]!.connections ?? heldByClients(s.wsUrl, warmOpened);
      const countAfter = after[i]!.connections ?? heldByClients(s.wsUrl, opened);
      const added = countAfter - countBefore;
      return {
        held: countAfter,
        heapBytesPerConnection: added > 0 ? Math.round((after[i]!.heapUsed - before[i]!.heapUsed) / added) : Number.NaN,
        rssBytesPerConnection: added > 0 ? Math.round((after[i]!.rss - before[i]!.rss) / added) : Number.NaN,
        heapMiB: `${round(before[i]!.heapUsed / 1048576, 1)} -> ${round(after[i]!.heapUsed / 1048576, 1)}`,
        rssMiB: `${round(before[i]!.rss / 1048576, 1)} -> ${round(after[i]!.rss / 1048576, 1)}`,
      };
    });
    const edgeRows = rows.slice(0, edgeCount);
    const bareRow = rows[edgeCount]!;
    const heapEach = edgeRows.map((r) => r.heapBytesPerConnection);
    const rssEach = edgeRows.map((r) => r.rssBytesPerConnection);
    const seconds = warmSeconds + fullSeconds;
    const edgeOpens = sum(edges.map((e) => heldByClients(e.wsUrl, opened)));
    return {
      bench: `e: WebSocket connections held by ${edgeCount} edges`,
      target,
      edges: edgeCount,
      held: sum(edgeRows.map((r) => r.held)),
      heldByClients: edgeOpens,
      failed: sum(opened.map((o) => o.failed)),
      notStarted: sum(opened.map((o) => o.notStarted)),
      firstError: opened.find((o) => o.error)?.error,
      holders: holders.length,
      sourceAddresses: `127.0.0.2-127.0.0.${1 + holders.length}`,
      secondsToOpen: round(seconds, 1),
      connectionsPerSecond: Math.round(sum(opened.map((o) => o.open)) / seconds),
      heapBytesPerConnection: { median: median(heapEach), max: Math.max(...heapEach) },
      rssBytesPerConnection: { median: median(rssEach), max: Math.max(...rssEach) },
      bareUws: bareRow,
      edgeOverBare: { heap: round(median(heapEach) / bareRow.heapBytesPerConnection, 2), rss: round(median(rssEach) / bareRow.rssBytesPerConnection, 2) },
      perEdge: edgeRows,
      fdLimit: Number(readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)/)?.[1]),
      goal: '100,000 held; <= 2048 bytes per connection (heap and RSS)',
    };
  } finally {
    for (const h of holders) h.release();
    await Promise.all(holders.map((h) => h.exited));
    await bare?.stop();
    await pipeline.stop();
    progress('stopped');
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** `total` split into `parts` counts differing by at most one. */
function spread(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Holders of at most HOLDER_MAX sockets for `counts[i]` connections to server i, from 127.0.0.<firstAddress>, .<firstAddress+1>, … */
function holdAll(servers: Server[], counts: number[], firstAddress: number, openDeadlineMs: number): Holder[] {
  const holders: Holder[] = [];
  let batch: { url: string; count: number }[] = [];
  let room = HOLDER_MAX;
  const flush = () => {
    if (batch.length === 0) return;
    holders.push(holdConnections(batch, `127.0.0.${firstAddress + holders.length}`, openDeadlineMs));
    batch = [];
    room = HOLDER_MAX;
  };
  servers.forEach((server, i) => {
    let left = counts[i]!;
    while (left > 0) {
      const n = Math.min(left, room);
      batch.push({ url: server.wsUrl, count: n });
      left -= n;
      room -= n;
      if (room === 0) flush();
    }
  });
  flush();
  return holders;
}

interface Opened {
  open: number;
  failed: number;
  notStarted: number;
  openByUrl: Record<string, number>;
  error?: string;
}
interface Holder {
  opened: Promise<Opened>;
  exited: Promise<void>;
  release(): void;
}

function holdConnections(targets: { url: string; count: number }[], localAddress: string, openDeadlineMs: number): Holder {
  const child = spawn(process.execPath, ['--import', 'tsx', 'load-tests/bench/connection-holder.ts'], {
    env: { ...process.env, TARGETS: JSON.stringify(targets), LOCAL_ADDRESS: localAddress, OPEN_DEADLINE_MS: String(openDeadlineMs) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const opened = new Promise<Opened>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString())));
    child.once('exit', (code) => reject(new Error(`connection holder exited with ${code}`)));
  });
  return {
    opened,
    exited,
    release: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

async function startBare(inspectPort: number): Promise<Server> {
  const child = spawn(process.execPath, [inspectOption(inspectPort), V8_OPTIONS, '--import', 'tsx', path.join('load-tests', 'bench', 'bare-ws.ts')], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port));
    child.once('exit', (code) => reject(new Error(`bare WebSocket server exited with ${code}`)));
  });
  return {
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    memory: async () => ({ connections: undefined, heapUsed: (await collectGarbage(inspectPort)).heapUsed, rss: rssOf(child.pid!) }),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** After full collections, the edge's own figures from its /metrics. */
async function edgeMemory(metricsPort: number, inspectPort: number): Promise<Memory> {
  await collectGarbage(inspectPort);
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const gauge = (name: string) => {
    const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    if (value === undefined) throw new Error(`the edge's /metrics has no ${name}`);
    return Number(value);
  };
  return {
    connections: gauge('authgate_ws_connections'),
    heapUsed: gauge('nodejs_heap_size_used_bytes'),
    rss: gauge('process_resident_memory_bytes'),
  };
}

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
}

/** The lowest-RSS reading of SETTLE_READINGS, SETTLE_GAP_MS apart, each right after a full collection, after SETTLE_IDLE_MS without one. */
const SETTLE_IDLE_MS = 10_000;
const SETTLE_READINGS = 5;
const SETTLE_GAP_MS = 3_000;
async function settled(server: Server): Promise<Memory> {
  let lowest: Memory | undefined;
  for (let i = 0; i < SETTLE_READINGS; i++) {
    await new Promise((r) => setTimeout(r, i === 0 ? SETTLE_IDLE_MS : SETTLE_GAP_MS));
    const reading = await server.memory();
    if (!lowest || reading.rss < lowest.rss) lowest = reading;
  }
  return lowest!;
}
