import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LogoutDelivery {
  /** `/backchannel/<client_id>`. */
  path: string;
  logoutToken: string;
  /** Date.now() on arrival. */
  at: number;
}

/**
 * The relying parties' side of the tests, one small HTTP server: the redirect target (`/cb`), the
 * post-logout target, and each client's back-channel logout endpoint, which records every logout token
 * with its arrival time. openid-client, in the test process, is the relying party's logic.
 */
export class RelyingPartyServer {
  readonly logouts: LogoutDelivery[] = [];
  private readonly waiters = new Set<() => void>();
  private server: Server | undefined;
  url = '';

  static async start(): Promise<RelyingPartyServer> {
    const rp = new RelyingPartyServer();
    rp.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://rp').pathname;
      if (req.method === 'POST' && path.startsWith('/backchannel/')) {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          rp.logouts.push({ path, logoutToken: new URLSearchParams(body).get('logout_token') ?? '', at: Date.now() });
          for (const wake of rp.waiters) wake();
          res.writeHead(200, { 'cache-control': 'no-store' }).end();
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>relying party</title><p id="rp">${path}</p>`);
    });
    await new Promise<void>((resolve) => rp.server!.listen(0, '127.0.0.1', resolve));
    rp.url = `http://127.0.0.1:${(rp.server.address() as AddressInfo).port}`;
    return rp;
  }

  /** The logout tokens delivered to `clientId`'s endpoint so far. */
  to(clientId: string): LogoutDelivery[] {
    return this.logouts.filter((delivery) => delivery.path === `/backchannel/${clientId}`);
  }

  /** Resolves with the first logout token for each client once every one has arrived after `since`; fails after `timeoutMs`. */
  waitFor(clientIds: readonly string[], since: number, timeoutMs: number): Promise<Map<string, LogoutDelivery>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = new Map<string, LogoutDelivery>();
        for (const clientId of clientIds) {
          const delivery = this.to(clientId).find((d) => d.at >= since);
          if (delivery) found.set(clientId, delivery);
        }
        if (found.size < clientIds.length) return false;
        this.waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        const got = clientIds.filter((id) => this.to(id).some((d) => d.at >= since));
        reject(new Error(`logout tokens within ${timeoutMs} ms: ${got.length}/${clientIds.length} (${got.join(', ') || 'none'})`));
      }, timeoutMs);
      this.waiters.add(wake);
      check();
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
