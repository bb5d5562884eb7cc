import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';

/**
 * A server process of the chaos harness, in a process group of its own so that it can be stopped as a
 * whole and never outlives the harness: every live one is killed when the harness process exits, even
 * on a crash (`exit` handlers run for uncaught errors too).
 */
export class Daemon {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private static readonly live = new Set<Daemon>();

  constructor(command: string, args: string[], options: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string }) {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    this.child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stdout!.pipe(log, { end: false });
    this.child.stderr!.pipe(log, { end: false });
    Daemon.live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        Daemon.live.delete(this);
        log.end();
        resolve({ code, signal });
      });
      this.child.on('error', () => {
        Daemon.live.delete(this);
        resolve({ code: null, signal: null });
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Signals the whole process group (a shell script and what it started). */
  signalGroup(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Waits up to `graceMs` for the exit (after whatever stop was asked), then kills the group. */
  async waitOrKill(graceMs: number): Promise<void> {
    const late = new Promise<'late'>((resolve) => setTimeout(resolve, graceMs, 'late').unref());
    if ((await Promise.race([this.exited, late])) === 'late') {
      this.signalGroup('SIGKILL');
      await this.exited;
    }
  }

  static killAll(): void {
    for (const daemon of Daemon.live) daemon.signalGroup('SIGKILL');
  }
}

process.once('exit', () => Daemon.killAll());

/**
 * Runs a command to its end; rejects with its output when it fails. Asynchronous on purpose: the
 * harness's clients keep sending while a fault is being injected.
 */
export function runChecked(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command} cannot run: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `status ${code}`}):\n${output.slice(-2000)}`));
    });
  });
}

/** Polls until `check` resolves true, or throws after `timeoutMs` (or as soon as `alive` turns false). */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive()) throw new Error(`${what}: the process exited`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export function portAccepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
