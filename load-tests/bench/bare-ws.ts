import uWS from 'uWebSockets.js';

/**
 * The baseline of bench (e): a bare uWebSockets.js WebSocket server with the edge's socket options and
 * no state of its own per socket (no userData, no map of connections), sending a welcome frame of the
 * edge's size; what it costs per connection is uWS's own share, the rest of an edge's is the edge's.
 */
const welcome = JSON.stringify({ type: 'welcome', connectionId: `n${'0'.repeat(10)}.${'0'.repeat(22)}` });
uWS
  .App()
  .ws('/ws', {
    maxPayloadLength: 16_384 * 16,
    idleTimeout: 120,
    maxBackpressure: 1_048_576,
    closeOnBackpressureLimit: 1,
    sendPingsAutomatically: true,
    open: (ws) => {
      ws.send(welcome, false);
    },
  })
  .listen('127.0.0.1', 0, (socket) => {
    if (!socket) process.exit(1);
    console.log(JSON.stringify({ msg: 'authgate started', port: uWS.us_socket_local_port(socket) }));
  });
