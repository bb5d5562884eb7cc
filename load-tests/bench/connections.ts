import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { round, startPipeline } from './deployment.ts';

/**
 * (e) WebSocket connections held open by one edge, and the edge's memory per connection. Clients run
 * in child processes (each process may hold only as many sockets as its file-descriptor limit), and
 * spread over several 127.x source addresses so that no address runs out of ephemeral ports.
 */
export async function benchConnections(target: number): Promise<Record<string, unknown>> {
  const pipeline = await startPipeline({ edges: 1, bcryptCost: 4 });
  try {
    const edge = pipeline.edges[0]!;
    // Memory per connection is the growth between a warm first batch and the full count, so that the
    // edge's start-up allocations and their collection do not count.
    const warm = Math.min(1_000, target);
    const perProcess = 15_000;
    const holders = [holdConnections(edge.wsUrl, warm, '127.0.0.2')];
    const first = await holders[0]!.opened;
    await settle();
    const rssWarm = rssOf(edge.child.pid!);
    for (let left = target - warm, i = 0; left > 0; left -= perProcess, i++) {
      holders.push(holdConnections(edge.wsUrl, Math.min(perProcess, left), `127.0.0.${i + 3}`));
    }
    const opened = [first, ...(await Promise.all(holders.slice(1).map((h) => h.opened)))];
    const held = opened.reduce((a, b) => a + b.open, 0);
    const failed = opened.reduce((a, b) => a + b.failed, 0);
    await settle();
    const rssAfter = rssOf(edge.child.pid!);
    for (const h of holders) h.release();
    return {
      bench: 'e: WebSocket connections held by one edge',
      target,
      held,
      failed,
      firstError: opened.find((o) => o.error)?.error,
      edgeRssMiB: round(rssAfter / 1048576, 1),
      bytesPerConnection: held > warm ? Math.round((rssAfter - rssWarm) / (held - first.open)) : null,
      fdLimit: Number(readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)/)?.[1]),
      goal: '100,000',
    };
  } finally {
    await pipeline.stop();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 3_000));

function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

function holdConnections(wsUrl: string, count: number, localAddress: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'load-tests/bench/connection-holder.ts'], {
    env: { ...process.env, WS_URL: wsUrl, COUNT: String(count), LOCAL_ADDRESS: localAddress },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const opened = new Promise<{ open: number; failed: number; error?: string }>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString())));
    child.once('exit', (code) => reject(new Error(`connection holder exited with ${code}`)));
  });
  return { opened, release: () => child.kill('SIGTERM') };
}
