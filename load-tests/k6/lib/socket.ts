import { WebSocket } from 'k6/websockets';
import { AuthgateSocket, SocketRequestError, type RequestType, type WebSocketClass } from '../../../shared/src/client/socket-client.ts';
import { WS_URL } from './env.ts';
import { errors, judge, success, wsDuration, type Operation } from './metrics.ts';

/** k6's WebSocket follows the browser API, which the shared typed client is written against. */
const K6WebSocket = WebSocket as unknown as WebSocketClass;

/** Opens a socket; a failure is counted as a `connect` error and gives undefined. */
export async function connect(timeoutMs: number): Promise<AuthgateSocket | undefined> {
  try {
    return await AuthgateSocket.connect(WS_URL, K6WebSocket, timeoutMs);
  } catch {
    success.add(false, { op: 'connect' });
    errors.add(1, { op: 'connect', code: 'connection_error' });
    return undefined;
  }
}

/** One request over the socket, counted like its REST twin; resolves with the result's data on success. */
export async function send<T>(socket: AuthgateSocket, op: Operation & RequestType, fields: Record<string, string>, timeoutMs: number): Promise<T | undefined> {
  const started = Date.now();
  try {
    const frame = await socket.requestWithin<T>(op, fields, timeoutMs);
    wsDuration.add(Date.now() - started, { op });
    return judge(op, frame.status, frame.error?.code) ? frame.data : undefined;
  } catch (err) {
    if (!(err instanceof SocketRequestError)) throw err;
    success.add(false, { op });
    errors.add(1, { op, code: err.reason === 'timeout' ? 'client_timeout' : 'connection_closed' });
    return undefined;
  }
}
