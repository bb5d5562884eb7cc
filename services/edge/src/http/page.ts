import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { AppError } from '@authgate/shared/errors';
import { newRequestId } from '@authgate/shared/ids';
import { PAGE_PATHS } from '@authgate/shared/page-paths';
import { OIDC_PAGE_PATH } from '@authgate/features/oidc/paths';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../uws.ts';
import { endHead, getAndHead, markIfHead } from './head.ts';
import { countAnswer } from './metered.ts';
import { appErrorReply, securityHeaderText, send } from './respond.ts';

/** The page's build (`npm run build:web`, web/dist) and the SDK's (`npm run build:client`, client/dist). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const PAGE_DIR = path.join(ROOT, 'web/dist');
export const SDK_FILE = path.join(ROOT, 'client/dist/authgate-client.js');

/**
 * The page's policy: its own scripts, styles and WebSocket only ('self' covers ws:/wss: of the same
 * host, CSP Level 3), images from itself or data: URLs (the QR code), nothing inline, no plugin, no
 * framing, no form posted anywhere (forms are sent by script).
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  gzipped: Buffer | undefined;
  headers: ReadonlyArray<readonly [string, string]>;
}

/**
 * The API's headers (respond.ts: nosniff, framing refused, HSTS where configured) with the page's CSP
 * in place of the API's, and what a page needs that a JSON answer does not (helmet's page set, in
 * part): no referrer to other sites, its own browsing context group, its files for itself only.
 */
function headersFor(contentType: string, cacheControl: string, crossOrigin: boolean): (readonly [string, string])[] {
  const headers: (readonly [string, string])[] = securityHeaderText().filter(([name]) => name !== 'Content-Security-Policy');
  headers.push(
    ['Content-Security-Policy', PAGE_CSP],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Content-Type', contentType],
    ['Cache-Control', cacheControl],
    ['Vary', 'Accept-Encoding'],
  );
  // The SDK file is for pages of other origins to import (a module script is fetched with CORS).
  if (crossOrigin) headers.push(['Cross-Origin-Resource-Policy', 'cross-origin'], ['Access-Control-Allow-Origin', '*']);
  else headers.push(['Cross-Origin-Resource-Policy', 'same-origin']);
  return headers;
}

function load(file: string, cacheControl: string, crossOrigin = false): StaticFile {
  const body = readFileSync(file);
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  // Compressed once at start-up: text files only, and only when it pays.
  const gzipped = /^(text|application\/json|image\/svg)/.test(type) ? gzipSync(body, { level: 9 }) : undefined;
  return { body, gzipped: gzipped && gzipped.length < body.length ? gzipped : undefined, headers: headersFor(type, cacheControl, crossOrigin) };
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) filesUnder(full, out);
    else out.push(full);
  }
  return out;
}

function sendFile(res: HttpResponse, file: StaticFile, acceptEncoding: string, head: boolean): void {
  const gzip = file.gzipped !== undefined && /\bgzip\b/.test(acceptEncoding);
  const body = gzip ? (file.gzipped as Buffer) : file.body;
  countAnswer(res, 200);
  res.writeStatus('200 OK');
  for (const [name, value] of file.headers) res.writeHeader(name, value);
  if (gzip) res.writeHeader('Content-Encoding', 'gzip');
  if (head) endHead(res, body.length, false);
  else res.end(body);
}

/**
 * Serves the page at `/` and at the paths mails link to (PAGE_PATHS: the page finishes those flows),
 * its hashed assets under `/assets/` from memory (read once at start-up,
 * so that a request never touches the disk), and the SDK's browser build at `/sdk/authgate-client.js`.
 * Returns false when the page is not built: then `/` is left to the fallback (404).
 */
export function registerPage(app: TemplatedApp, onRequest: (res: HttpResponse) => void): boolean {
  const index = path.join(PAGE_DIR, 'index.html');
  if (!existsSync(index)) return false;
  const files = new Map<string, StaticFile>();
  for (const full of filesUnder(PAGE_DIR)) {
    const url = `/${path.relative(PAGE_DIR, full).split(path.sep).join('/')}`;
    // Asset names carry their content's hash: a year in caches. The page itself is checked each time.
    files.set(url, load(full, url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'));
  }
  if (existsSync(SDK_FILE)) files.set('/sdk/authgate-client.js', load(SDK_FILE, 'public, max-age=300', true));
  // Routes by pattern (docs/rest.md): `/`, the page's own files of stable names (favicon.svg), the
  // hashed assets under one parameter, the SDK file. A name not in the build is 404.
  const page = files.get('/index.html') as StaticFile;
  const route = (pattern: string, pick: (req: HttpRequest) => StaticFile | undefined) =>
    getAndHead(app, pattern, (res, req) => {
      onRequest(res);
      const file = pick(req);
      if (file) sendFile(res, file, req.getHeader('accept-encoding'), req.getMethod() === 'head');
      else {
        markIfHead(res, req);
        send(res, appErrorReply(new AppError('not_found', 'no such file'), newRequestId()));
      }
    });
  route('/', () => page);
  for (const linked of Object.values(PAGE_PATHS)) route(linked, () => page);
  // An application's OpenID sign-in (features/oidc): the page signs the person in for it.
  route(OIDC_PAGE_PATH, () => page);
  for (const [url, file] of files) if (url !== '/index.html' && !url.startsWith('/assets/')) route(url, () => file);
  route('/assets/:file', (req) => files.get(`/assets/${req.getParameter(0) ?? ''}`));
  return true;
}
