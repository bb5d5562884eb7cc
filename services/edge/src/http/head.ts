import type { HttpRequest, HttpResponse, TemplatedApp } from '../uws.ts';

type Handler = (res: HttpResponse, req: HttpRequest) => void;

/** Answers to HEAD requests: GET's status and headers, and the length its body has, but no body. */
const headRequests = new WeakSet<HttpResponse>();

export function isHead(res: HttpResponse): boolean {
  return headRequests.has(res);
}

/**
 * Registers `handler` for GET and for HEAD (RFC 9110 §9.3.2): the HEAD answer is GET's status and
 * headers, Content-Length included, with no body, so the keep-alive connection stays framed.
 */
export function getAndHead(app: TemplatedApp, pattern: string, handler: Handler): void {
  app.get(pattern, handler);
  app.head(pattern, (res, req) => {
    headRequests.add(res);
    handler(res, req);
  });
}

/** Whether the request is a HEAD: an answer the edge makes itself must then carry no body. */
export function markIfHead(res: HttpResponse, req: HttpRequest): void {
  if (req.getMethod() === 'head') headRequests.add(res);
}

/**
 * Ends a HEAD answer: the Content-Length GET's body has, and no body. Written by hand because
 * uWebSockets.js 20.x aborts the process on endWithoutBody(n) with n > 0, and writes a bogus length
 * when given `undefined`; with no argument it adds none of its own. It also ignores a Connection
 * header it did not write, so `close` only tells the client (and a draining proxy) to drop it.
 */
export function endHead(res: HttpResponse, contentLength: number, close: boolean): void {
  res.writeHeader('Content-Length', String(contentLength));
  if (close) res.writeHeader('Connection', 'close');
  res.endWithoutBody();
}
