import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from './helpers/http.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { tempDir } from './helpers/services.ts';
import { assertApiSecurityHeaders } from './security/support/headers.ts';

/** STRICT_TRANSPORT_SECURITY: HSTS only where it is configured; the rest of OWASP's API set always. */
describe('edge security headers: Strict-Transport-Security as configured', () => {
  const data = tempDir('hsts');
  const edges: RunningProcess[] = [];
  let off: RunningProcess;
  let preload: RunningProcess;
  before(async () => {
    [off, preload] = await Promise.all([
      startProcess('all', { DATA_DIR: `${data.dir}/off`, BCRYPT_COST: '4', STRICT_TRANSPORT_SECURITY: 'off' }),
      startProcess('all', { DATA_DIR: `${data.dir}/preload`, BCRYPT_COST: '4', STRICT_TRANSPORT_SECURITY: 'max-age=63072000; includeSubDomains; preload' }),
    ]);
    edges.push(off, preload);
  });
  after(async () => {
    await Promise.all(edges.map((e) => e.stop()));
    data.remove();
  });

  test('off: no Strict-Transport-Security, every other API header still there', async () => {
    for (const answer of [await call(off.url, 'GET', '/health'), await call(off.url, 'GET', '/auth/verify')]) {
      assert.equal(answer.headers.get('strict-transport-security'), null);
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(answer.headers.get('content-security-policy'), "frame-ancestors 'none'");
      assert.equal(answer.headers.get('x-frame-options'), 'DENY');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    }
  });

  test('a value: sent as given, with the rest of the set', async () => {
    const answer = await call(preload.url, 'GET', '/auth/verify', { headers: { authorization: 'Bearer x.y.z' } });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get('strict-transport-security'), 'max-age=63072000; includeSubDomains; preload');
    assertApiSecurityHeaders(answer.headers, 'GET /auth/verify 401');
  });

  test('a bad value is refused at start with the setting named', async () => {
    await assert.rejects(
      startProcess('all', { DATA_DIR: `${data.dir}/bad`, STRICT_TRANSPORT_SECURITY: 'max-age=1; evil\r\nX: y' }, 20_000),
      /STRICT_TRANSPORT_SECURITY/,
    );
  });
});
