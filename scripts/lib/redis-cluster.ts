import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../cluster/ports.ts';

const run = promisify(execFile);

/** One redis-server of a private cluster: its client port and its cluster-bus port (both chosen free). */
export interface ClusterMember {
  port: number;
  busPort: number;
  dir: string;
  process: ChildProcess;
}

export interface RedisClusterOptions {
  /** Masters (each owns a third of the slots for 3); default 3. */
  masters?: number;
  /** Replicas per master; default 1. */
  replicas?: number;
  /** cluster-node-timeout: how long a master may be silent before its replica takes over; default 2000. */
  nodeTimeoutMs?: number;
  /** Where the nodes keep their files; default a new temporary folder, removed by stop(). */
  dir?: string;
}

/** What CLUSTER NODES says of one node. */
export interface NodeView {
  id: string;
  port: number;
  role: 'master' | 'replica';
  failed: boolean;
  masterId: string | undefined;
  slots: number;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * A Redis Cluster of private redis-server processes on free loopback ports, for `npm run cluster --
 * --redis-cluster N`, tests, the chaos run and the bench: never the machine's own Redis. Nodes keep
 * nothing on disk (no RDB, no AOF) but their nodes.conf, and are killed when this process exits.
 */
export class PrivateRedisCluster {
  private constructor(
    readonly members: ClusterMember[],
    private readonly dir: string,
    private readonly ownsDir: boolean,
  ) {}

  static async start(options: RedisClusterOptions = {}): Promise<PrivateRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicas ?? 1;
    if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
    const ownsDir = !options.dir;
    const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'authgate-redis-cluster-'));
    const members: ClusterMember[] = [];
    const cluster = new PrivateRedisCluster(members, dir, ownsDir);
    try {
      for (let i = 0; i < masters * (1 + replicas); i++) members.push(await startMember(dir, options.nodeTimeoutMs ?? 2_000));
      await Promise.all(members.map((m) => waitForPing(m.port)));
      await run('redis-cli', ['--cluster', 'create', ...members.map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], {
        timeout: 60_000,
      });
      await cluster.waitUntilHealthy(30_000);
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** The REDIS_CLUSTER_NODES value: every node (a client needs one, more survive a dead one). */
  get nodesSetting(): string {
    return this.members.map((m) => `127.0.0.1:${m.port}`).join(',');
  }

  get addresses(): { host: string; port: number }[] {
    return this.members.map((m) => ({ host: '127.0.0.1', port: m.port }));
  }

  running(): ClusterMember[] {
    return this.members.filter((m) => m.process.exitCode === null && m.process.signalCode === null);
  }

  /** The cluster as a running node sees it. */
  async view(): Promise<NodeView[]> {
    const [first] = this.running();
    if (!first) throw new Error('no node of the cluster is running');
    const text = (await command(first.port, ['CLUSTER', 'NODES'])) as string;
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, address, flags, master, , , , , ...slots] = line.split(' ');
        const port = Number(address!.split('@')[0]!.split(':')[1]);
        const slotCount = slots.reduce((sum, range) => {
          if (range.startsWith('[')) return sum;
          const [from, to] = range.split('-').map(Number);
          return sum + ((to ?? from!) - from! + 1);
        }, 0);
        return {
          id: id!,
          port,
          role: flags!.includes('master') ? 'master' : 'replica',
          failed: /\bfail\b/.test(flags!.replace(/,/g, ' ')),
          masterId: master === '-' ? undefined : master,
          slots: slotCount,
        } satisfies NodeView;
      });
  }

  /** Masters that own slots, as a running node sees them. */
  async masters(): Promise<NodeView[]> {
    return (await this.view()).filter((n) => n.role === 'master' && n.slots > 0 && !n.failed);
  }

  /**
   * SIGKILL of the master owning `key`'s slot (or the first master): no goodbye to its peers, as a
   * machine that dies. Returns its port.
   */
  async killMaster(key?: string): Promise<number> {
    const [first] = this.running();
    let port: number;
    if (key !== undefined) {
      const slot = Number(await command(first!.port, ['CLUSTER', 'KEYSLOT', key]));
      const slots = (await command(first!.port, ['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][];
      const owner = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no master owns slot ${slot}`);
      port = owner[2][1];
    } else {
      const [master] = await this.masters();
      port = master!.port;
    }
    const member = this.members.find((m) => m.port === port)!;
    const exited = new Promise((resolve) => member.process.once('exit', resolve));
    member.process.kill('SIGKILL');
    await exited;
    return port;
  }

  /** Every slot served by a live master and every running node saying `cluster_state:ok`. */
  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (await this.healthy().catch(() => false)) return;
      if (Date.now() > until) throw new Error(`the Redis Cluster is not healthy within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async healthy(): Promise<boolean> {
    const running = new Set(this.running().map((m) => m.port));
    const view = await this.view();
    const served = view.filter((n) => n.role === 'master' && !n.failed && running.has(n.port)).reduce((sum, n) => sum + n.slots, 0);
    if (served !== 16_384) return false;
    for (const port of running) {
      const info = (await command(port, ['CLUSTER', 'INFO'])) as string;
      if (!info.includes('cluster_state:ok')) return false;
      // A replica that has not finished its sync could not take over from its master.
      const replication = (await command(port, ['INFO', 'replication'])) as string;
      if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
    }
    return true;
  }

  /** A cluster-bus counter (CLUSTER INFO `cluster_stats_messages_<name>`) summed over the running nodes. */
  async busMessages(name: string): Promise<number> {
    let total = 0;
    for (const m of this.running()) {
      const info = (await command(m.port, ['CLUSTER', 'INFO'])) as string;
      const match = new RegExp(`^cluster_stats_messages_${name}:(\\d+)`, 'm').exec(info);
      total += match ? Number(match[1]) : 0;
    }
    return total;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.running().map(
        (m) =>
          new Promise((resolve) => {
            m.process.once('exit', resolve);
            m.process.kill('SIGKILL');
          }),
      ),
    );
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

async function startMember(dir: string, nodeTimeoutMs: number): Promise<ClusterMember> {
  const port = await freePort();
  // The bus port is chosen too (cluster-port, Redis 7): port + 10000 could fall among the ports the
  // kernel hands to outgoing connections.
  let busPort = await freePort();
  while (busPort === port) busPort = await freePort();
  const nodeDir = path.join(dir, `node-${port}`);
  mkdirSync(nodeDir, { recursive: true });
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--cluster-enabled',
    'yes',
    '--cluster-port',
    String(busPort),
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    // A replica may take over however long its link was down (the test kills masters right after a
    // start), and its first sync does not wait 5 s for more replicas to join it.
    '--cluster-replica-validity-factor',
    '0',
    '--repl-diskless-sync-delay',
    '0',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    nodeDir,
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(path.join(nodeDir, 'redis.log'));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return { port, busPort, dir: nodeDir, process: child };
}

async function command(port: number, args: string[]): Promise<unknown> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

async function waitForPing(port: number): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    if ((await command(port, ['PING']).catch(() => undefined)) === 'PONG') return;
    if (Date.now() > until) throw new Error(`redis-server on ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
