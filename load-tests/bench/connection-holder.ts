import net from 'node:net';

/**
 * Opens WebSockets from LOCAL_ADDRESS to each of TARGETS ([{url, count}], interleaved so every server
 * fills at the same pace), waits for each one's first frame (the welcome), reports one JSON line, and
 * holds them until SIGTERM or until its parent goes. It starts no connection after OPEN_DEADLINE_MS,
 * so a run that cannot reach its count still ends.
 *
 * A bare client on net.Socket rather than the `ws` package: it only holds sockets (answers pings,
 * sends nothing else), and at ~15,000 per process the package's handshake (an HTTP client request, a
 * key and its SHA-1 check per socket) made the clients, not the edges, the slow side on two cores.
 */
const targets = JSON.parse(process.env.TARGETS!) as { url: string; count: number }[];
const localAddress = process.env.LOCAL_ADDRESS;
const deadline = Date.now() + Number(process.env.OPEN_DEADLINE_MS ?? 120_000);
const concurrency = Number(process.env.CONCURRENCY ?? 100);
const HANDSHAKE_TIMEOUT_MS = 30_000;
const sockets: net.Socket[] = [];
const openByUrl: Record<string, number> = Object.fromEntries(targets.map((t) => [t.url, 0]));
let failed = 0;
let notStarted = 0;
let error: string | undefined;

/** RFC 6455 client upgrade; the key is fixed (the server only echoes its hash, which this client does not check). */
function upgradeRequest(url: URL): string {
  return `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

function connectOne(url: string): Promise<void> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.hostname, port: Number(target.port), localAddress });
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      failed++;
      error ??= reason;
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(() => fail('no welcome within 30 s'), HANDSHAKE_TIMEOUT_MS);
    let received = Buffer.alloc(0);
    const onHandshake = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!received.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) return fail(`upgrade refused: ${received.subarray(0, 40).toString()}`);
      if (received.length <= end + 4) return; // the welcome frame has not come yet
      clearTimeout(timer);
      settled = true;
      socket.off('data', onHandshake);
      hold(socket, received.subarray(end + 4));
      openByUrl[url]!++;
      sockets.push(socket);
      resolve();
    };
    socket.on('data', onHandshake);
    socket.once('connect', () => socket.write(upgradeRequest(target)));
    socket.once('error', (err) => fail(err.message));
    socket.once('close', () => fail('closed during the handshake'));
  });
}

/** Answers the server's pings (uWS sends them before its idle timeout) with pongs; drops every other frame. */
function hold(socket: net.Socket, first: Buffer): void {
  let pending = first;
  const onData = (chunk?: Buffer) => {
    if (chunk) pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const opcode = pending[0]! & 0x0f;
      let length = pending[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (pending.length < 4) return;
        length = pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (pending.length < 10) return;
        length = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (pending.length < offset + length) return;
      // A client's frames are masked; a zero mask leaves the payload as it is.
      if (opcode === 0x9) socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | length, 0, 0, 0, 0]), pending.subarray(offset, offset + length)]));
      pending = pending.subarray(offset + length);
    }
  };
  socket.on('data', onData);
  socket.on('error', () => {});
  onData();
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
const open = sockets.filter((s) => !s.destroyed).length;
process.stdout.write(`${JSON.stringify({ open, failed, notStarted, openByUrl, openMs: Date.now() - started, ...(error ? { error } : {}) })}\n`);
process.on('SIGTERM', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
// Held until the bench sends SIGTERM; the parent's exit closes stdin, which ends a holder left behind.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
