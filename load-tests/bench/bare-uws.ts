import uWS from 'uWebSockets.js';
import { SECURITY_HEADER_TEXT } from '../../services/edge/src/http/respond.ts';

/**
 * The baselines of bench (a): a bare uWebSockets.js handler answering a verify-sized JSON body with
 * nothing else, or (HEADERS=edge) with the same headers the edge writes, to tell the cost of the
 * edge's code from the cost of the bytes it sends.
 */
const body = '{"sub":"00000000-0000-4000-8000-000000000000","sid":"00000000-0000-4000-8000-000000000000","exp":1999999999}';
const headers =
  process.env.HEADERS === 'edge'
    ? [...SECURITY_HEADER_TEXT, ['Cache-Control', 'no-store'], ['Content-Type', 'application/json; charset=utf-8']].map(
        ([n, v]) => [Buffer.from(n!), Buffer.from(v!)] as const,
      )
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
