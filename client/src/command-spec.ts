import type { CommandRoute } from '../../features/routes.ts';

/**
 * How the SDK sends one request, by its WebSocket message type, with its REST route. `bearer`: the
 * request acts for the signed-in session (REST: an Authorization header; WebSocket: the connection
 * authenticated as that session). `wsType` undefined: REST only (the account API's routes).
 * `deferrable`: REST accepts X-Connection-Id and answers 202, the result coming on the socket.
 * Each feature's part of the SDK (features/<name>/sdk.ts) builds its own from the routes the feature
 * declares; test/client/sdk-commands.test.ts holds the result to the feature list.
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

/**
 * The SDK's table of a feature's commands, from the routes the feature declares
 * (features/<name>/routes.ts): the WebSocket message is the command's kind; a path parameter is
 * filled from its body field, which then stays out of the REST body.
 */
export function sdkCommands<R extends Readonly<Record<string, CommandRoute>>>(routes: R): { [K in keyof R]: CommandSpec } {
  return Object.fromEntries(Object.entries(routes).map(([kind, route]) => [kind, specOf(kind, route)])) as { [K in keyof R]: CommandSpec };
}

function specOf(kind: string, { rest, auth, sdkDeferred }: CommandRoute): CommandSpec {
  const spec: CommandSpec = { method: rest.method, path: () => rest.path, bearer: auth === 'session', wsType: kind, deferrable: sdkDeferred === true };
  const param = rest.pathParam;
  if (param === undefined) return spec;
  return { ...spec, path: (body) => rest.path.replace(/:[A-Za-z]+/, encodeURIComponent(String(body[param]))), inPath: [param] };
}
