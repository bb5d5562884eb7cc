/**
 * How each command is reached: its REST route and who may send it. Zod-free, so that the client SDK
 * (a browser bundle) builds its command table from the same declarations the edge registers
 * (features/<name>/routes.ts, spread into each feature's contract.ts).
 */

export interface RestRoute<P extends string = string> {
  method: 'GET' | 'POST' | 'DELETE';
  /** uWebSockets.js pattern: `:name` for the one path parameter. */
  path: P;
  /** The body field the path's parameter fills (`DELETE /auth/sessions/:id` → `sessionId`). */
  pathParam?: string;
  /**
   * `json`: the JSON body is the command's body; `ignored`: a JSON body may come and is not used;
   * `none`: no body is read.
   */
  body: 'json' | 'ignored' | 'none';
}

export interface CommandRoute<P extends string = string> {
  rest: RestRoute<P>;
  /**
   * `session`: acts for a signed-in session (REST Bearer; or the session a socket is authenticated
   * as), whose subject and session id the edge puts in the command; `none`: anyone may send it.
   */
  auth: 'session' | 'none';
  /**
   * The SDK set to deferred REST sends it with X-Connection-Id (202, the result on the socket). The
   * edge accepts that header on every `auth: 'none'` command; the SDK uses it where a client benefits.
   */
  sdkDeferred?: true;
}
