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
    const rssBefore = rssOf(edge.child.pid!);
    const perProcess = 15_000;
    const processes = Math.ceil(target / perProcess);
    const holders = Array.from({ length: processes }, (_, i) => holdConnections(edge.wsUrl, Math.min(perProcess, target - i * perProcess), `127.0.0.${i + 2}`));
    const opened = await Promise.all(holders.map((h) => h.opened));
    const held = opened.reduce((a, b) => a + b.open, 0);
    const failed = opened.reduce((a, b) => a + b.failed, 0);
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfter = rssOf(edge.child.pid!);
    for (const h of holders) h.release();
    return {
      bench: 'e: WebSocket connections held by one edge',
      target,
      held,
      failed,
      firstError: opened.find((o) => o.error)?.error,
      edgeRssMiB: round(rssAfter / 1048576, 1),
      bytesPerConnection: held > 0 ? Math.round((rssAfter - rssBefore) / held) : null,
      fdLimit: Number(readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)/)?.[1]),
      goal: '100,000',
    };
  } finally {
    await pipeline.stop();
  }
}

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
