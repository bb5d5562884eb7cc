import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A k-anonymity range API in the form of Have I Been Pwned's, in the test process: `GET /range/<5 hex>`
 * answers `SUFFIX:COUNT` lines for the breached passwords it was given (plus padding lines with count
 * 0, as the real one sends for `Add-Padding: true`). `mode` makes it fail: `slow` never answers in
 * time, `error` answers 500. It records the paths it was asked, to show that no more than the prefix left.
 */
export class RangeServer {
  readonly asked: string[] = [];
  mode: 'ok' | 'slow' | 'error' = 'ok';
  private constructor(private readonly server: http.Server) {}

  static async start(breachedPasswords: string[]): Promise<RangeServer> {
    const breached = new Set(breachedPasswords.map((p) => createHash('sha1').update(p).digest('hex').toUpperCase()));
    let self: RangeServer | undefined;
    const server = http.createServer((req, res) => {
      self!.asked.push(`${req.url} padding=${req.headers['add-padding'] ?? ''}`);
      if (self!.mode === 'slow') return void setTimeout(() => res.end(''), 5_000).unref();
      if (self!.mode === 'error') return void res.writeHead(500).end('down');
      const prefix = /^\/range\/([0-9A-F]{5})$/.exec(req.url ?? '')?.[1];
      if (!prefix) return void res.writeHead(400).end('bad prefix');
      const lines = [...breached].filter((h) => h.startsWith(prefix)).map((h) => `${h.slice(5)}:42`);
      lines.push(`${'0'.repeat(35)}:0`, `${'F'.repeat(35)}:0`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new RangeServer(server);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/range`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
