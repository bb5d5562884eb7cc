import net from 'node:net';

/** Bytes of one whole answer (status line, headers, body) to a keep-alive GET, read off the socket. */
export function answerBytes(url: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port, pathname } = new URL(url);
  if (hostname !== '127.0.0.1') throw new Error('benchmarks send traffic to 127.0.0.1 only');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(received.subarray(0, end).toString())?.[1] ?? 0);
      if (received.length >= end + 4 + length) {
        socket.destroy();
        resolve(received.length);
      }
    });
    socket.on('error', reject);
    const lines = Object.entries(headers).map(([n, v]) => `${n}: ${v}\r\n`);
    socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\n${lines.join('')}\r\n`);
  });
}
