import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  requestsPerSecond: number;
  /** Requests completed in the run. */
  requests: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

/** Runs wrk (Debian package) against one URL; bounded in time, loopback only. */
export async function wrk(
  url: string,
  options: {
    seconds: number;
    connections: number;
    headers?: Record<string, string>;
    /** Each connection waits this long after an answer (load-tests/drivers/paced.lua). */
    paceMs?: number;
  },
): Promise<WrkResult> {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(url)) throw new Error('benchmarks send traffic to 127.0.0.1 only');
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (options.paceMs) args.push('-s', 'load-tests/drivers/paced.lua');
  const env = options.paceMs ? { ...process.env, PACE_MS: String(options.paceMs) } : process.env;
  const { stdout } = await run('wrk', [...args, url], { timeout: (options.seconds + 30) * 1000, env });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!rps) throw new Error(`cannot read wrk output:\n${stdout}`);
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? Number.NaN),
    p50Ms: latency(stdout, '50%'),
    p99Ms: latency(stdout, '99%'),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

function latency(out: string, label: string): number {
  const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
  if (!m) return Number.NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
}
