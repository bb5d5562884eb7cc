import { AppError } from '@authgate/shared/errors';
import type { HttpResponse } from '../uws.ts';

/**
 * Reads a request body of at most `maxBytes`. A declared Content-Length over the limit is refused
 * before a byte is read; an undeclared one is refused as soon as it crosses the limit.
 * uWebSockets.js hands out chunks it reuses after the callback, so each one is copied.
 */
export function readBody(res: HttpResponse, contentLength: string, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (contentLength && Number(contentLength) > maxBytes) {
      reject(new AppError('payload_too_large', `request body must be at most ${maxBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      received += chunk.byteLength;
      if (received > maxBytes) {
        done = true;
        reject(new AppError('payload_too_large', `request body must be at most ${maxBytes} bytes`));
        return;
      }
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) {
        done = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
      }
    });
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a JSON object body; anything else is an `invalid_request`. Bytes that are not UTF-8 are
 * refused rather than replaced with U+FFFD: a password must reach bcrypt as the client sent it.
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    throw new AppError('invalid_request', 'request body is not valid UTF-8 JSON', { details: [{ path: '(root)', message: 'must be valid JSON in UTF-8' }] });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('invalid_request', 'request body must be a JSON object', { details: [{ path: '(root)', message: 'must be a JSON object' }] });
  }
  return value as Record<string, unknown>;
}
