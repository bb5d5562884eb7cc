import uWS from 'uWebSockets.js';

/**
 * The package falls back to a slow pure-JS server, with only a console warning, when its native
 * binary does not load. An edge on the fallback would pass every test and fail in production, so
 * it refuses to start instead.
 */
export function loadNativeUws(): typeof uWS {
  if (!/\[native code\]/.test(Function.prototype.toString.call(uWS.App))) {
    throw new Error('uWebSockets.js native binary did not load on this platform; refusing the pure-JS fallback');
  }
  return uWS;
}

export type { HttpRequest, HttpResponse, TemplatedApp, WebSocket } from 'uWebSockets.js';
