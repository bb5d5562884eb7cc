import assert from 'node:assert/strict';

/**
 * The reference: the headers OWASP's REST Security Cheat Sheet lists for every API answer ("Security
 * Headers"): Cache-Control no-store, a CSP of frame-ancestors 'none', X-Content-Type-Options nosniff,
 * X-Frame-Options DENY, and Strict-Transport-Security (on by default; STRICT_TRANSPORT_SECURITY=off
 * drops it). Content-Type is checked where an answer has a body.
 */
const REQUIRED: Record<string, (value: string) => boolean> = {
  'content-security-policy': (v) => v === "frame-ancestors 'none'",
  'x-content-type-options': (v) => v === 'nosniff',
  'x-frame-options': (v) => v === 'DENY',
  'strict-transport-security': (v) => /^max-age=\d+/.test(v),
  'cache-control': (v) => v === 'no-store' || v.startsWith('public, max-age='),
};

/** helmet's page-oriented headers: nothing a JSON answer needs, bytes on every answer. */
const PAGE_ONLY = [
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

/** Fails unless `headers` carry OWASP's API set, and none of the page-oriented ones. */
export function assertApiSecurityHeaders(headers: Headers, what: string): void {
  for (const [name, holds] of Object.entries(REQUIRED)) {
    const got = headers.get(name);
    assert.ok(got !== null, `${what}: ${name} is missing`);
    assert.ok(holds(got), `${what}: ${name} is ${got}`);
  }
  for (const name of PAGE_ONLY) assert.equal(headers.get(name), null, `${what}: ${name} is a page's header`);
  assert.equal(headers.get('x-powered-by'), null, `${what}: X-Powered-By`);
  const type = headers.get('content-type');
  if (Number(headers.get('content-length') ?? 0) > 0) assert.match(type ?? '', /^application\/json/, `${what}: Content-Type`);
}
