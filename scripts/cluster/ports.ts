import net from 'node:net';

// Linux hands out local ports for outgoing connections from 32768 up: a port chosen there could be
// taken by some client connection by the time a restarted process binds it again. Ports below it
// stay free until someone listens on them.
const RANGE = { from: 20_000, to: 32_000 };

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A port that is free now, outside the range of outgoing connections, for a process whose port must
 * be known before it starts (nginx) or stay the same across its restarts (an edge behind nginx).
 * Another process could still take it first; on this machine's loopback that is rare enough for tests.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from));
    if (await canListen(port, host)) return port;
  }
  throw new Error(`no free port between ${RANGE.from} and ${RANGE.to} on ${host}`);
}
