import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { AuthgateSocket, SocketRequestError, type ServerFrame, type WebSocketClass } from '@authgate/shared/client/socket-client';

/**
 * AuthgateSocket.requestWithin, which the load test's WebSocket users rely on to end every request:
 * against a small `ws` server whose answers the test decides (an edge answers too fast to time out).
 */
describe('AuthgateSocket.requestWithin', () => {
  let server: WebSocketServer;
  let url: string;

  before(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (socket) => {
      socket.send(JSON.stringify({ type: 'welcome', connectionId: 'test.conn' }));
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string; id: string; email?: string };
        const answer = { type: 'result', id: frame.id, ok: true, status: 201, data: { userId: 'u1' } };
        if (frame.email === 'now@example.test') socket.send(JSON.stringify(answer));
        if (frame.email === 'late@example.test') setTimeout(() => socket.send(JSON.stringify(answer)), 300);
        if (frame.email === 'close@example.test') socket.close(1001, 'going away');
        // never@example.test: no answer at all
      });
    });
  });

  after(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  const connect = () => AuthgateSocket.connect(url, WebSocket as unknown as WebSocketClass);

  test('resolves with the result frame when it comes in time', async () => {
    const socket = await connect();
    const frame = await socket.requestWithin('register', { email: 'now@example.test', password: 'x' }, 5_000);
    assert.deepEqual(frame, { type: 'result', id: 'c1', ok: true, status: 201, data: { userId: 'u1' } });
    socket.close();
  });

  test('rejects with reason timeout when no result comes, and a late result goes to onUnsolicited', async () => {
    const socket = await connect();
    const unsolicited: ServerFrame[] = [];
    socket.onUnsolicited = (frame) => unsolicited.push(frame);
    await assert.rejects(
      socket.requestWithin('register', { email: 'never@example.test', password: 'x' }, 100),
      (err: unknown) => err instanceof SocketRequestError && err.reason === 'timeout',
    );
    await assert.rejects(
      socket.requestWithin('register', { email: 'late@example.test', password: 'x' }, 50),
      (err: unknown) => err instanceof SocketRequestError && err.reason === 'timeout',
    );
    for (let i = 0; i < 100 && unsolicited.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(unsolicited.length, 1);
    assert.equal((unsolicited[0] as { id: string }).id, 'c2');
    socket.close();
  });

  test('rejects with reason closed when the connection closes first, and at once once it is closed', async () => {
    const socket = await connect();
    const pending = socket.requestWithin('register', { email: 'never@example.test', password: 'x' }, 60_000);
    const closing = socket.requestWithin('register', { email: 'close@example.test', password: 'x' }, 60_000);
    for (const p of [pending, closing]) await assert.rejects(p, (err: unknown) => err instanceof SocketRequestError && err.reason === 'closed');
    assert.equal(socket.closed?.code, 1001);
    await assert.rejects(
      socket.requestWithin('login', { email: 'now@example.test', password: 'x' }, 60_000),
      (err: unknown) => err instanceof SocketRequestError && err.reason === 'closed',
    );
  });
});
