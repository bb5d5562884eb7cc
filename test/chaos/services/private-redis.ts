import path from 'node:path';
import { Redis } from 'ioredis';
import { Daemon, waitUntil } from './daemon.ts';

/**
 * A redis-server of the harness's own on a loopback port: no snapshots while it runs, no AOF. A
 * restart is a maintenance restart (SHUTDOWN SAVE, then the same port and data directory), so keys
 * outlive it as they would with persistence; `crash()` is the other kind, SIGKILL, where they do not.
 */
export class PrivateRedis {
  private daemon: Daemon | undefined;

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--dbfilename',
      'dump.rdb',
      '--daemonize',
      'no',
    ];
    const daemon = new Daemon('redis-server', args, { env: { PATH: process.env.PATH ?? '' }, logFile: path.join(this.dir, 'redis.log') });
    this.daemon = daemon;
    await waitUntil(
      `redis on ${this.port}`,
      () => this.ping(),
      20_000,
      () => daemon.running,
    );
  }

  /** SHUTDOWN SAVE: the snapshot is written even though no save points are configured. */
  async stop(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon?.running) return;
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    await client.connect().catch(() => {});
    await client.call('SHUTDOWN', 'SAVE').catch(() => {}); // the connection closes instead of answering
    client.disconnect();
    await daemon.waitOrKill(10_000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    this.daemon?.signalGroup('SIGKILL');
    await this.daemon?.exited;
  }

  private async ping(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }
}
