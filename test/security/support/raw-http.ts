import net from 'node:net';

export interface RawOutcome {
  /** What the server sent back, as text. */
  response: string;
  /** Milliseconds from the first byte sent until the connection closed (or the client gave up). */
  elapsedMs: number;
  /** True when the server ended the connection; false when the client gave up after `giveUpMs`. */
  closedByServer: boolean;
}

/**
 * Writes `first` on a plain TCP connection, then one more `drip` every `intervalMs`, as a slow-loris
 * client does, until the server closes the connection or `giveUpMs` passes.
 */
export function rawHttp(port: number, first: string | Buffer, options: { drip?: string; intervalMs?: number; giveUpMs: number }): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let started = 0;
    let dripping: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(dripping);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ response, elapsedMs: Date.now() - started, closedByServer });
    };
    const giveUp = setTimeout(() => finish(false), options.giveUpMs);
    socket.on('connect', () => {
      started = Date.now();
      socket.write(first);
      if (options.drip) dripping = setInterval(() => socket.write(options.drip!), options.intervalMs ?? 500);
    });
    socket.on('data', (chunk) => {
      response += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
  });
}
