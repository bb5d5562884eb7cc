/**
 * How the SDK sends one request, by its WebSocket message type, with its REST route. `bearer`: the
 * request acts for the signed-in session (REST: an Authorization header; WebSocket: the connection
 * authenticated as that session). `wsType` undefined: REST only (the account API's routes).
 * `deferrable`: REST accepts X-Connection-Id and answers 202, the result coming on the socket.
 * Each feature's part of the SDK (features/<name>/sdk.ts) declares its own; test/client/sdk-commands.test.ts
 * holds them to the feature list's routes.
 */
export interface CommandSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: (body: Record<string, unknown>) => string;
  bearer: boolean;
  wsType: string | undefined;
  deferrable: boolean;
  /** The fields that go in the path or query, not in a REST body. */
  inPath?: readonly string[];
}

/** A command POSTed as JSON, sent over the socket as the message `wsType`. */
export function postCommand(wsType: string, path: string, options: { bearer?: boolean; deferrable?: boolean } = {}): CommandSpec {
  return { method: 'POST', path: () => path, bearer: options.bearer === true, wsType, deferrable: options.deferrable === true };
}
