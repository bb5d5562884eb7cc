import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import amqplib from 'amqplib';
import { Daemon, runChecked, waitUntil } from './daemon.ts';

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';

/**
 * A RabbitMQ node of the harness's own: its own node name (chaos-<random>@localhost), AMQP and
 * distribution ports on the loopback, mnesia, logs, config and (empty) plugin list in a temporary
 * folder, and its own Erlang cookie (HOME is that folder). Only epmd is shared with the machine's
 * broker, as Erlang intends. Stopped with `rabbitmqctl -n <node> stop`; killed if that fails.
 */
export class PrivateRabbitMQ {
  readonly nodeName = `chaos-${randomBytes(4).toString('hex')}@localhost`;
  private daemon: Daemon | undefined;

  constructor(
    readonly port: number,
    private readonly distPort: number,
    private readonly dir: string,
    /** The HOME (and so the Erlang cookie) of this node: shared by the nodes of one cluster. */
    private readonly home = path.join(dir, 'home'),
  ) {
    for (const sub of ['mnesia', 'log', 'home']) mkdirSync(path.join(dir, sub), { recursive: true });
    writeFileSync(path.join(dir, 'enabled_plugins'), '');
    writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
    writeFileSync(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users.guest = true\n`);
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  private env(): NodeJS.ProcessEnv {
    const d = this.dir;
    return {
      PATH: process.env.PATH ?? '',
      HOME: this.home,
      LANG: 'C.UTF-8',
      // Our own (empty) env file: the machine's /etc/rabbitmq/rabbitmq-env.conf names its own node.
      RABBITMQ_CONF_ENV_FILE: path.join(d, 'rabbitmq-env.conf'),
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: path.join(d, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(d, 'log'),
      RABBITMQ_CONFIG_FILE: path.join(d, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(d, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(d, 'enabled_plugins'),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      ERL_EPMD_ADDRESS: '127.0.0.1',
    };
  }

  static available(): boolean {
    return existsSync(path.join(RABBIT_BIN, 'rabbitmq-server'));
  }

  async start(timeoutMs = 120_000): Promise<void> {
    const daemon = new Daemon(path.join(RABBIT_BIN, 'rabbitmq-server'), [], { env: this.env(), logFile: path.join(this.dir, 'server.log'), cwd: this.dir });
    this.daemon = daemon;
    try {
      // The AMQP listener opens last in the boot: a connection that opens means the broker is ready.
      await waitUntil(
        `rabbitmq ${this.nodeName}`,
        () => this.accepts(),
        timeoutMs,
        () => daemon.running,
      );
    } catch (err) {
      daemon.signalGroup('SIGKILL');
      throw err;
    }
  }

  async stop(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon?.running) return;
    try {
      await runChecked(path.join(RABBIT_BIN, 'rabbitmqctl'), ['-n', this.nodeName, 'stop'], { env: this.env(), timeoutMs: 60_000 });
    } catch {
      daemon.signalGroup('SIGTERM');
    }
    await daemon.waitOrKill(30_000);
  }

  /** Joins the cluster of `leader` (same cookie): stop_app, join_cluster, start_app. */
  async join(leader: PrivateRabbitMQ): Promise<void> {
    const ctl = (...args: string[]) =>
      runChecked(path.join(RABBIT_BIN, 'rabbitmqctl'), ['-n', this.nodeName, ...args], { env: this.env(), timeoutMs: 120_000 });
    await ctl('stop_app');
    await ctl('join_cluster', leader.nodeName);
    await ctl('start_app');
    await waitUntil(`rabbitmq ${this.nodeName} after joining`, () => this.accepts(), 120_000);
  }

  /** SIGKILL: a node that dies without a word to its peers. */
  async kill(): Promise<void> {
    this.daemon?.signalGroup('SIGKILL');
    await this.daemon?.exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => this.daemon?.signalGroup('SIGKILL'));
  }

  private async accepts(): Promise<boolean> {
    const connection = await amqplib.connect(this.url, { timeout: 2_000 });
    await connection.close();
    return true;
  }
}

/**
 * Three (or more) private RabbitMQ nodes clustered together: one Erlang cookie in a shared HOME, each
 * node on its own ports, node name and folders; every node after the first joins the first.
 */
export class PrivateRabbitMQCluster {
  private constructor(readonly nodes: PrivateRabbitMQ[]) {}

  static async start(dir: string, ports: () => Promise<number>, size = 3): Promise<PrivateRabbitMQCluster> {
    const home = path.join(dir, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, '.erlang.cookie'), randomBytes(20).toString('hex').toUpperCase(), { mode: 0o400 });
    const nodes: PrivateRabbitMQ[] = [];
    for (let i = 0; i < size; i++) {
      const sub = path.join(dir, `node-${i + 1}`);
      mkdirSync(sub, { recursive: true });
      nodes.push(new PrivateRabbitMQ(await ports(), await ports(), sub, home));
    }
    const cluster = new PrivateRabbitMQCluster(nodes);
    try {
      await Promise.all(nodes.map((node) => node.start(240_000)));
      for (const node of nodes.slice(1)) await node.join(nodes[0]!);
      return cluster;
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
  }

  /** The AMQP_URL of the cluster: every node, comma-separated. */
  get url(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
  }
}
