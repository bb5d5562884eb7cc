import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export type Role = 'nginx' | 'edge' | 'worker' | 'api' | 'mailer';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One log line of a child: pino's JSON parsed, anything else kept as `{ raw }`. */
export type LogLine = Record<string, unknown>;

export interface SpawnSpec {
  name: string;
  role: Role;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  onLine?: ((name: string, line: LogLine) => void) | undefined;
}

/**
 * A child process of the cluster. Each runs in its own process group (`detached`), so a Ctrl-C in the
 * terminal reaches only the cluster script, which then stops the children in order.
 */
export class ManagedProcess {
  readonly name: string;
  readonly role: Role;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: LogLine[] = [];
  readonly exited: Promise<Exit>;
  private stderrTail = '';
  private readonly log: WriteStream;

  constructor(spec: SpawnSpec) {
    this.name = spec.name;
    this.role = spec.role;
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
    this.child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (this.child.pid === undefined) throw new Error(`cannot start ${spec.name} (${spec.command})`);
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
      this.child.on('error', () => resolve({ code: null, signal: null }));
    });
    this.exited.then(() => this.log.end());
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.log.write(chunk);
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { raw: text };
        }
        this.lines.push(line);
        spec.onLine?.(this.name, line);
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.log.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the process wrote to stderr lately (for error messages; never parsed). */
  get stderr(): string {
    return this.stderrTail;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILL. Every wait is bounded. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<Exit> {
    this.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first !== 'late') return first;
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Resolves with the first log line that `match` accepts, or rejects on exit or after `timeoutMs`. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name} gave no expected log line within ${timeoutMs} ms\n${this.stderrTail}`));
      }, timeoutMs);
      const onData = () => {
        const line = this.lines.find(match);
        if (line) {
          cleanup();
          resolve(line);
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) before it was ready\n${this.stderrTail}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout!.off('data', onData);
        this.child.off('exit', onExit);
      };
      // Registered after the line parser above, so `lines` already holds the new lines when this runs.
      this.child.stdout!.on('data', onData);
      this.child.on('exit', onExit);
      if (!this.running) onExit(this.child.exitCode, this.child.signalCode);
    });
  }
}

/** Polls `url` until it answers 200, or rejects when `alive()` turns false or after `timeoutMs`. */
export async function waitForHttpOk(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    if (!alive()) throw new Error(`process behind ${url} exited`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${last})`);
}
