import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { runChecked, waitUntil } from './daemon.ts';

/** The newest PostgreSQL server binaries on the machine (Debian: /usr/lib/postgresql/<major>/bin). */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] && path.join(root, majors[0], 'bin');
}

/**
 * A PostgreSQL cluster of the harness's own: initdb into a temporary folder, its own port on the
 * loopback and its unix socket in that folder, trust authentication. PostgreSQL refuses to run as
 * root: as root, initdb and pg_ctl run as the `postgres` user, which owns the folder. A restart is
 * `pg_ctl stop -m fast` (connections are closed, as in a real restart) and a start on the same data.
 */
export class PrivatePostgres {
  private readonly bin: string;
  private readonly data: string;
  private started = false;
  private readonly stopOnExit = () => this.stopNow();

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    const bin = postgresBinDir();
    if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
    this.bin = bin;
    this.data = path.join(dir, 'data');
    mkdirSync(dir, { recursive: true });
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
  }

  /** The server's superuser, over TCP on the loopback; `database` defaults to `postgres`. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const binary = path.join(this.bin, tool);
    return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  }

  async init(): Promise<void> {
    await runChecked(...this.command('initdb', ['-D', this.data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']));
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await runChecked(...this.command('pg_ctl', ['-D', this.data, '-l', path.join(this.dir, 'postgres.log'), '-w', '-t', '60', '-o', options, 'start']), {
      timeoutMs: 90_000,
    });
    if (!this.started) process.once('exit', this.stopOnExit);
    this.started = true;
    await waitUntil(`postgres on ${this.port}`, () => this.accepts(), 30_000);
  }

  async stop(): Promise<void> {
    await runChecked(...this.command('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', '-t', '60', 'stop']), { timeoutMs: 90_000 });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    if (!this.started) return;
    await this.stop().catch(() => this.stopNow());
    process.off('exit', this.stopOnExit);
    this.started = false;
  }

  /** Synchronous, for the process's `exit`: nothing of ours may keep running after the harness. */
  private stopNow(): void {
    const [command, args] = this.command('pg_ctl', ['-D', this.data, '-m', 'immediate', 'stop']);
    spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  }

  private async accepts(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } finally {
      await client.end().catch(() => {});
    }
  }
}
