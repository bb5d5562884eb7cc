import assert from 'node:assert/strict';
import Fastify from 'fastify';
import helmet from '@fastify/helmet';

/**
 * The reference: the headers helmet sets by default, taken from @fastify/helmet itself (as the account
 * API registers it), not from a list copied by hand that could drift from the library.
 */
let loaded: Record<string, string> | undefined;
export async function loadHelmetDefaults(): Promise<Record<string, string>> {
  if (!loaded) {
    const app = Fastify();
    await app.register(helmet);
    app.get('/', async () => ({}));
    const answer = await app.inject({ method: 'GET', url: '/' });
    await app.close();
    const { 'content-type': _t, 'content-length': _l, date: _d, connection: _c, ...security } = answer.headers as Record<string, string>;
    loaded = security;
  }
  return loaded;
}

/** Where the edge deliberately differs from helmet's default value, and what it must hold instead. */
const STRICTER: Record<string, (value: string) => boolean> = {
  // A JSON API loads nothing and may be framed by nothing: stricter than helmet's page-oriented default.
  'content-security-policy': (v) => v.includes("default-src 'none'") && v.includes("frame-ancestors 'none'"),
  'x-frame-options': (v) => v === 'DENY',
};

/** Fails unless `headers` carry every helmet default, with helmet's value or a stricter one. */
export function assertHelmetHeaders(headers: Headers, what: string): void {
  assert.ok(loaded, 'loadHelmetDefaults() must be awaited once before');
  for (const [name, value] of Object.entries(loaded)) {
    const got = headers.get(name);
    assert.ok(got !== null, `${what}: ${name} is missing`);
    if (STRICTER[name]) assert.ok(STRICTER[name](got), `${what}: ${name} is ${got}`);
    else assert.equal(got, value, `${what}: ${name}`);
  }
  assert.equal(headers.get('x-powered-by'), null, `${what}: X-Powered-By`);
}
