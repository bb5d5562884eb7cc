import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningProcess {
  target: string;
  port: number | undefined;
  nodeId: string;
  child: ChildProcess;
  /** Every log line the process printed, parsed (non-JSON lines kept as `{ raw }`). */
  lines: Record<string, unknown>[];
  /** The port of GET /metrics (METRICS_PORT; 0 by default here: any free one); undefined when off. */
  metricsPort: number | undefined;
  url: string;
  wsUrl: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `bin/authgate.ts --target=<target>` as its own process, as `npm run start:<target>` does. */
export async function startProcess(
  target: 'all' | 'edge' | 'worker' | 'api' | 'mailer',
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<RunningProcess> {
  const child = spawn(process.execPath, ['--require', './bin/threadpool.cjs', '--import', 'tsx', 'bin/authgate.ts', `--target=${target}`], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      // Its lines are read as JSON below (a load run starts it in development, where the default is pretty).
      LOG_FORMAT: 'json',
      PORT: '0',
      API_PORT: '0',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  const started = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // nobody holds a handle to a process that never started: it must not linger
      reject(new Error(`${target} did not start within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          line = { raw: text };
        }
        lines.push(line);
        if (line.msg === 'authgate started') {
          clearTimeout(timer);
          resolve(line);
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${target} exited with ${code} before starting:\n${stderr}`));
    });
  });
  const line = await started;
  const port = line.port as number | undefined;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
  return {
    target,
    port,
    nodeId: line.node as string,
    metricsPort: line.metricsPort as number | undefined,
    child,
    lines,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
