import uWS from 'uWebSockets.js';

/**
 * The baseline of bench (a): a bare uWebSockets.js handler answering a verify-sized JSON body, with
 * nothing else. The edge's /auth/verify is measured against it in the same run.
 */
const body = process.env.BODY ?? '{"sub":"00000000-0000-4000-8000-000000000000","sid":"00000000-0000-4000-8000-000000000000","exp":1999999999}';
uWS
  .App()
  .get('/auth/verify', (res) => {
    res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end(body);
  })
  .listen('127.0.0.1', Number(process.env.PORT ?? 0), (socket) => {
    if (!socket) process.exit(1);
    console.log(JSON.stringify({ msg: 'authgate started', port: uWS.us_socket_local_port(socket) }));
  });
