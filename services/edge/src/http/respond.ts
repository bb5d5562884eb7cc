import type { AppError, FieldIssue } from '@authgate/shared/errors';
import type { HttpResponse } from '../uws.ts';
import { lifecycle } from '../lifecycle.ts';
import { endHead, isHead } from './head.ts';
import { countAnswer } from './metered.ts';

const STATUS_LINES: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
  504: '504 Gateway Timeout',
};

/**
 * The headers OWASP's REST Security Cheat Sheet lists for every API answer ("Security Headers"), not
 * helmet's page-oriented set: a JSON API renders no page, so what a CSP or the cross-origin and
 * prefetch headers govern never happens. Framing is refused twice (CSP frame-ancestors for today's
 * browsers, X-Frame-Options for old ones), sniffing once, and HSTS is sent only where it is configured
 * (STRICT_TRANSPORT_SECURITY: where this deployment's TLS ends, the answer must carry it).
 * Cache-Control (no-store unless a reply says otherwise) and Content-Type are written by `send`.
 */
export const API_SECURITY_HEADER_TEXT: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "frame-ancestors 'none'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
];
export const DEFAULT_HSTS = 'max-age=31536000; includeSubDomains';

// Encoded once: uWS copies bytes from a Buffer without converting a JS string on every answer.
const encode = (headers: ReadonlyArray<readonly [string, string]>) => headers.map(([n, v]) => [Buffer.from(n), Buffer.from(v)] as const);
let securityHeaders = encode([...API_SECURITY_HEADER_TEXT, ['Strict-Transport-Security', DEFAULT_HSTS]]);
const CACHE_CONTROL = Buffer.from('Cache-Control');
const NO_STORE = Buffer.from('no-store');
const CONTENT_TYPE = Buffer.from('Content-Type');
const JSON_TYPE = Buffer.from('application/json; charset=utf-8');

/** Set once at the edge's start: the Strict-Transport-Security value, or undefined for none. */
export function useStrictTransportSecurity(value: string | undefined): void {
  securityHeaders = encode([...API_SECURITY_HEADER_TEXT, ...(value ? [['Strict-Transport-Security', value] as const] : [])]);
}

/** The security headers every edge answer carries, as written (for tests and the bench's bare baseline). */
export function securityHeaderText(): ReadonlyArray<readonly [string, string]> {
  return securityHeaders.map(([n, v]) => [n.toString(), v.toString()] as const);
}

export interface Reply {
  status: number;
  /** Serialized JSON, or undefined for an empty body. */
  body?: string | undefined;
  headers?: ReadonlyArray<readonly [string, string]>;
  cacheControl?: string;
  /** Close the connection after answering (used when the rest of a request body is not read). */
  close?: boolean;
}

/**
 * Headers that depend on the request rather than the answer (CORS), recorded when the request comes
 * in and written with whatever answer it gets, whenever that is written.
 */
const requestHeaders = new WeakMap<HttpResponse, ReadonlyArray<readonly [string, string]>>();
export function answerWith(res: HttpResponse, headers: ReadonlyArray<readonly [string, string]>): void {
  requestHeaders.set(res, headers);
}

/** Writes a complete answer. Called inside a cork when after an await (uWebSockets.js requires it). */
export function send(res: HttpResponse, reply: Reply): void {
  countAnswer(res, reply.status);
  res.writeStatus(STATUS_LINES[reply.status] ?? `${reply.status} Unknown`);
  for (const [name, value] of securityHeaders) res.writeHeader(name, value);
  const perRequest = requestHeaders.get(res);
  if (perRequest) for (const [name, value] of perRequest) res.writeHeader(name, value);
  res.writeHeader(CACHE_CONTROL, reply.cacheControl ?? NO_STORE);
  if (reply.headers) for (const [name, value] of reply.headers) res.writeHeader(name, value);
  if (reply.body === undefined) {
    res.endWithoutBody(0, reply.close || lifecycle.draining);
    return;
  }
  res.writeHeader(CONTENT_TYPE, JSON_TYPE);
  if (isHead(res)) endHead(res, Buffer.byteLength(reply.body), reply.close === true || lifecycle.draining);
  else res.end(reply.body, reply.close || lifecycle.draining);
}

export function json(status: number, value: unknown, headers?: ReadonlyArray<readonly [string, string]>): Reply {
  return { status, body: JSON.stringify(value), ...(headers ? { headers } : {}) };
}

export interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  details?: FieldIssue[] | undefined;
  retryAfter?: number | undefined;
}

const INVALID_TOKEN_CHALLENGE: readonly [string, string] = ['WWW-Authenticate', 'Bearer error="invalid_token"'];

export function errorReply(error: ErrorBody, status: number): Reply {
  const headers: (readonly [string, string])[] = error.retryAfter !== undefined ? [['Retry-After', String(error.retryAfter)]] : [];
  // RFC 6750 §3: a refused token names the scheme it expects, on every node (docs/errors.md).
  if (error.code === 'invalid_token') headers.push(INVALID_TOKEN_CHALLENGE);
  return { status, body: JSON.stringify({ error }), headers };
}

export function appErrorReply(err: AppError, requestId: string): Reply {
  return errorReply({ ...err.toPayload(), requestId }, err.status);
}
