import { createServer } from 'node:net';
import WebSocket from 'ws';

/**
 * Node's own inspector on a bench process (`--inspect=127.0.0.1:<port>` in its NODE_OPTIONS, loopback
 * only, never in a deployment): the one way to ask another process for a full garbage collection, so
 * that its heap is measured without the garbage a scrape happens to find.
 */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function inspectOption(port: number): string {
  return `--inspect=127.0.0.1:${port}`;
}

/**
 * Runs a full (major) collection in the process whose inspector listens on `port`, twice (weak
 * callbacks free more on the second), and answers its V8 heap in use right after.
 */
export async function collectGarbage(port: number): Promise<{ heapUsed: number }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  try {
    let id = 0;
    const call = (method: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const mine = ++id;
        const onMessage = (raw: WebSocket.RawData) => {
          const reply = JSON.parse(raw.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
          if (reply.id !== mine) return;
          ws.off('message', onMessage);
          if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
          else resolve(reply.result ?? {});
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ id: mine, method }));
      });
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    return { heapUsed: usage.usedSize as number };
  } finally {
    ws.close();
  }
}
