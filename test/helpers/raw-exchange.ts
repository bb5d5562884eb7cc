import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * One keep-alive TCP connection that sends requests one at a time and reads each answer by HTTP/1.1's
 * framing rules: no body after HEAD (whatever Content-Length says), else Content-Length or chunked.
 * Stray bytes after an answer, or a connection the server closed, make the next `request` fail: that
 * is what a broken keep-alive looks like to a real client.
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes received that belong to no answer read so far. */
  get leftover(): Buffer {
    return this.buffer;
  }

  async request(method: string, path: string, headers: Record<string, string> = {}, body?: string, timeoutMs = 5_000): Promise<RawResponse> {
    if (this.closed) throw new Error(`connection closed before ${method} ${path}`);
    if (this.buffer.length > 0) throw new Error(`stray bytes before ${method} ${path}: ${JSON.stringify(this.buffer.toString('latin1').slice(0, 80))}`);
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse(method === 'HEAD');
      if (parsed) return parsed;
      if (this.closed) throw new Error(`connection closed during ${method} ${path}: got ${JSON.stringify(this.buffer.toString('latin1').slice(0, 120))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete answer to ${method} ${path} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private parse(head: boolean): RawResponse | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...headerLines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(statusLine!.split(' ')[1]);
    let rest = this.buffer.subarray(end + 4);
    let body = Buffer.alloc(0);
    if (!head && status !== 204 && status !== 304) {
      if (headers['transfer-encoding']?.includes('chunked')) {
        const chunks: Buffer[] = [];
        for (;;) {
          const lineEnd = rest.indexOf('\r\n');
          if (lineEnd < 0) return undefined;
          const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
          if (rest.length < lineEnd + 2 + size + 2) return undefined;
          chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
          rest = rest.subarray(lineEnd + 2 + size + 2);
          if (size === 0) break;
        }
        body = Buffer.concat(chunks);
      } else {
        const length = Number(headers['content-length'] ?? 0);
        if (rest.length < length) return undefined;
        body = rest.subarray(0, length);
        rest = rest.subarray(length);
      }
    }
    this.buffer = rest;
    return { status, headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}
