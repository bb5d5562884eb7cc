import { randomBytes, randomUUID } from 'node:crypto';

/** Node ids are short and safe to embed in channel names and connection ids. */
const NODE_ID = /^[a-z0-9-]{1,32}$/;
/** `<nodeId>.<22 base64url chars>`: 16 random bytes = 128 bits after the node's name. */
const CONNECTION_ID = /^([a-z0-9-]{1,32})\.([A-Za-z0-9_-]{22})$/;

export function newNodeId(): string {
  return `n${randomBytes(5).toString('hex')}`;
}

export function isValidNodeId(id: string): boolean {
  return NODE_ID.test(id);
}

export function newConnectionId(nodeId: string): string {
  return `${nodeId}.${randomBytes(16).toString('base64url')}`;
}

/** The node a connection lives on, or undefined if the id is not one we could have issued. */
export function nodeOfConnection(connectionId: string): string | undefined {
  return CONNECTION_ID.exec(connectionId)?.[1];
}

export function newRequestId(): string {
  return randomUUID();
}

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export function isValidRequestId(id: string): boolean {
  return REQUEST_ID.test(id);
}
