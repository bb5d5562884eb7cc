import type { FastifyInstance, HTTPMethods } from 'fastify';
import { AppError } from '@authgate/shared/errors';

/** A request received by another server (the edge, in the all-in-one mode), handed to this API. */
export interface ForwardedRequest {
  method: string;
  /** Path and query string. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer | undefined;
  /** The client's address as the receiving server resolved it. */
  remoteAddress: string;
}

export interface ForwardedReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** HEAD only: the length GET's body has, as the API reported it (the body itself is empty). */
  headContentLength?: number | undefined;
}

/** Framing belongs to the connection that carried the request, not to the request itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer']);

/**
 * Answers a forwarded request through Fastify's inject(): the same hooks, validation, error handler
 * and headers as over a socket, without a second listening port.
 */
export function forwarder(app: FastifyInstance): (request: ForwardedRequest) => Promise<ForwardedReply> {
  return async (request) => {
    const method = request.method.toUpperCase();
    // inject() throws a bare Error on a method Fastify does not know: no route can match it anyway.
    if (!app.supportedMethods.includes(method)) throw new AppError('not_found', 'no such route');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(name.toLowerCase())) headers[name] = value;
    const response = await app.inject({
      method: method as HTTPMethods,
      url: request.url,
      headers,
      remoteAddress: request.remoteAddress,
      ...(request.body && request.body.length > 0 ? { payload: request.body } : {}),
    });
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      out[name] = Array.isArray(value) ? value.map(String) : String(value);
    }
    const length = Number(response.headers['content-length']);
    const headContentLength = method === 'HEAD' && Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    return { status: response.statusCode, headers: out, body: response.rawPayload, ...(headContentLength === undefined ? {} : { headContentLength }) };
  };
}
