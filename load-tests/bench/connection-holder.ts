import WebSocket from 'ws';

/**
 * Opens WebSockets from LOCAL_ADDRESS to each of TARGETS ([{url, count}], interleaved so every edge
 * fills at the same pace), waits for each welcome, reports one JSON line, and holds them until SIGTERM.
 * It starts no connection after OPEN_DEADLINE_MS, so a run that cannot reach its count still ends.
 */
const targets = JSON.parse(process.env.TARGETS!) as { url: string; count: number }[];
const localAddress = process.env.LOCAL_ADDRESS;
const deadline = Date.now() + Number(process.env.OPEN_DEADLINE_MS ?? 120_000);
const concurrency = Number(process.env.CONCURRENCY ?? 100);
const sockets: WebSocket[] = [];
const openByUrl: Record<string, number> = Object.fromEntries(targets.map((t) => [t.url, 0]));
let failed = 0;
let notStarted = 0;
let error: string | undefined;

function connectOne(url: string): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    const timer = setTimeout(() => {
      failed++;
      error ??= 'no welcome within 30 s';
      ws.terminate();
      resolve();
    }, 30_000);
    ws.once('message', () => {
      clearTimeout(timer);
      openByUrl[url]!++;
      sockets.push(ws);
      resolve();
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      failed++;
      error ??= err.message;
      resolve();
    });
  });
}

/** Round-robin over the targets: the i-th connection goes to the first target that still wants one after i-1. */
const queue: string[] = [];
for (let round = 0, left = true; left; round++) {
  left = false;
  for (const t of targets) {
    if (round < t.count) {
      queue.push(t.url);
      left = true;
    }
  }
}
const started = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < queue.length) {
      if (Date.now() > deadline) {
        notStarted = queue.length - next;
        next = queue.length;
        return;
      }
      await connectOne(queue[next++]!);
    }
  }),
);
const open = sockets.length;
process.stdout.write(`${JSON.stringify({ open, failed, notStarted, openByUrl, openMs: Date.now() - started, ...(error ? { error } : {}) })}\n`);
process.on('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
// Held until the bench sends SIGTERM; the parent's exit closes stdin, which ends a holder left behind.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
