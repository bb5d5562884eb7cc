import { resultFrame, type Result } from '@authgate/shared/protocol';
import type { ResultTarget } from '../relay.ts';
import { endRequest, type Connections } from './connections.ts';

/** A WebSocket request waiting on this node: its result goes to the connection under the client's own id. */
export class WsRequestTarget implements ResultTarget {
  readonly connection: { connectionId: string; clientId: string };

  constructor(
    private readonly connections: Connections,
    connectionId: string,
    clientId: string,
    /** Runs before the answer is sent, on success only (a login binds the connection to its session). */
    private readonly onSuccess?: (result: Result) => void,
  ) {
    this.connection = { connectionId, clientId };
  }

  deliver(result: Result): void {
    const { connectionId, clientId } = this.connection;
    const ws = this.connections.get(connectionId);
    if (ws) endRequest(ws.getUserData(), clientId);
    if (result.ok) this.onSuccess?.(result);
    this.connections.send(connectionId, JSON.stringify(resultFrame(clientId, result)));
    this.connections.settled(connectionId);
  }
}
