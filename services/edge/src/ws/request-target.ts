import { resultFrame, type Result } from '@authgate/shared/protocol';
import type { ResultTarget } from '../relay.ts';
import type { Connections } from './connections.ts';

/** A WebSocket request waiting on this node: its result goes to the connection under the client's own id. */
export class WsRequestTarget implements ResultTarget {
  readonly connection: { connectionId: string; clientId: string };

  constructor(
    private readonly connections: Connections,
    connectionId: string,
    clientId: string,
  ) {
    this.connection = { connectionId, clientId };
  }

  deliver(result: Result): void {
    const { connectionId, clientId } = this.connection;
    this.connections.get(connectionId)?.getUserData().inFlight.delete(clientId);
    this.connections.send(connectionId, JSON.stringify(resultFrame(clientId, result)));
    this.connections.settled(connectionId);
  }
}
