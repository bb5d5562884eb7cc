import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse } from '../uws.ts';
import { readBody } from './body.ts';
import { clientIp } from './client-ip.ts';
import { endHead } from './head.ts';
import { countAnswer } from './metered.ts';

/** A request no edge route matched, as handed to the fallback (the account API in the all-in-one mode). */
export interface FallbackRequest {
  method: string;
  /** Path and query string. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer | undefined;
  remoteAddress: string;
}

export interface FallbackReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** HEAD only: the length GET's body has; its Content-Length. */
  headContentLength?: number | undefined;
}

export type HttpFallback = (request: FallbackRequest) => Promise<FallbackReply>;

/** uWebSockets.js writes these itself; a second copy would corrupt the framing or repeat a header. */
const WRITTEN_BY_UWS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/**
 * Hands an unmatched request to the fallback and writes its answer as it is, headers included (the
 * fallback sets its own security headers). The request is copied before the first await, the body
 * read with the same bound as the edge's own routes, and the answer corked.
 */
export function forwardToFallback(
  res: HttpResponse,
  req: HttpRequest,
  fallback: HttpFallback,
  options: { maxBodyBytes: number; trustedProxies: ReadonlySet<string> },
  fail: (state: { aborted: boolean }, err: unknown) => void,
): void {
  const state = { aborted: false };
  res.onAborted(() => {
    state.aborted = true;
  });
  const query = req.getQuery();
  const method = req.getCaseSensitiveMethod();
  const url = query ? `${req.getUrl()}?${query}` : req.getUrl();
  const headers: Record<string, string> = {};
  req.forEach((name, value) => {
    headers[name] = value;
  });
  const remoteAddress = clientIp(res, req, options.trustedProxies);
  const body = readBody(res, headers['content-length'] ?? '', options.maxBodyBytes);
  (async () => {
    const reply = await fallback({ method, url, headers, body: await body, remoteAddress });
    if (state.aborted) return;
    res.cork(() => {
      countAnswer(res, reply.status);
      res.writeStatus(`${reply.status} ${STATUS_CODES[reply.status] ?? 'Unknown'}`);
      for (const [name, value] of Object.entries(reply.headers)) {
        if (WRITTEN_BY_UWS.has(name.toLowerCase())) continue;
        for (const one of Array.isArray(value) ? value : [value]) res.writeHeader(name, one);
      }
      // HEAD: no body, and the Content-Length GET's body has.
      if (method === 'HEAD') endHead(res, reply.headContentLength ?? reply.body.length, false);
      else res.end(reply.body);
    });
  })().catch((err: unknown) => fail(state, err));
  body.catch(() => {}); // its failure is answered above
}
