import WebSocket from 'ws';

/** Opens COUNT WebSockets from LOCAL_ADDRESS, waits for each welcome, reports, and holds them until killed. */
const url = process.env.WS_URL!;
const count = Number(process.env.COUNT);
const localAddress = process.env.LOCAL_ADDRESS;
const sockets: WebSocket[] = [];
let open = 0;
let failed = 0;
let error: string | undefined;

function connectOne(): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    const timer = setTimeout(() => {
      failed++;
      ws.terminate();
      resolve();
    }, 30_000);
    ws.once('message', () => {
      clearTimeout(timer);
      open++;
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

let next = 0;
await Promise.all(
  Array.from({ length: 200 }, async () => {
    while (next < count) {
      next++;
      await connectOne();
    }
  }),
);
process.stdout.write(`${JSON.stringify({ open, failed, ...(error ? { error } : {}) })}\n`);
process.on('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
setInterval(() => {}, 60_000);
