import uWS from 'uWebSockets.js';
import { securityHeaderText } from '../../services/edge/src/http/respond.ts';

/**
 * The baselines of bench (a): a bare uWebSockets.js handler answering a verify-sized JSON body with
 * nothing else, or (HEADERS=edge) with the same headers the edge writes, to tell the cost of the
 * edge's code from the cost of the bytes it sends; HEADERS=helmet writes helmet's page-oriented set,
 * which the edge used to send, to show what that set would cost in the same run.
 */
const HELMET_PAGE_SET: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'DENY'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];
const body = '{"sub":"00000000-0000-4000-8000-000000000000","sid":"00000000-0000-4000-8000-000000000000","exp":1999999999}';
const set = process.env.HEADERS === 'edge' ? securityHeaderText() : process.env.HEADERS === 'helmet' ? HELMET_PAGE_SET : undefined;
const headers = set
  ? [...set, ['Cache-Control', 'no-store'], ['Content-Type', 'application/json; charset=utf-8']].map(([n, v]) => [Buffer.from(n!), Buffer.from(v!)] as const)
  : [[Buffer.from('Content-Type'), Buffer.from('application/json')] as const];
uWS
  .App()
  .get('/auth/verify', (res) => {
    res.writeStatus('200 OK');
    for (const [name, value] of headers) res.writeHeader(name, value);
    res.end(body);
  })
  .listen('127.0.0.1', Number(process.env.PORT ?? 0), (socket) => {
    if (!socket) process.exit(1);
    console.log(JSON.stringify({ msg: 'authgate started', port: uWS.us_socket_local_port(socket) }));
  });
