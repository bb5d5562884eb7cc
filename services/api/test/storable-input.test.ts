import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UNSTORABLE_MESSAGE } from '@authgate/shared/storable-text';
import { ApiFixture, assertError, bearer, type Answer } from './fixture.ts';

const ADMIN = randomUUID();

/** The field named in `details` as text PostgreSQL cannot store. */
function assertUnstorable(answer: Answer, field: string, what: string): void {
  assertError(answer, 400, 'invalid_request', what);
  const details = answer.body.error.details as Array<{ path: string; message: string }>;
  assert.ok(
    details.some((d) => d.path === field && d.message.includes(UNSTORABLE_MESSAGE)),
    `${what}: ${JSON.stringify(details)}`,
  );
}

/**
 * The account API's one check of every string a request brings (services/api/src/storable-input.ts):
 * path parameters, query string and body, before the route's own validation. Admin routes are the ones
 * with path parameters, so the caller here is an administrator.
 */
describe('account API: NUL and unpaired surrogates refused in path, query and body', () => {
  let fx: ApiFixture;
  let admin: string;
  before(async () => {
    fx = await ApiFixture.start('storable-input', { ADMIN_USER_IDS: ADMIN });
    admin = await fx.token({ sub: ADMIN });
  });
  after(() => fx?.close());

  test('path parameters', async () => {
    assertUnstorable(await fx.request('/admin/analytics/users/a%00b', bearer(admin)), 'userId', 'analytics of a user');
    assertUnstorable(await fx.request('/users/by-email/a%00b%40example.test', bearer(admin)), 'email', 'user by email');
    assertUnstorable(await fx.request('/admin/users/a%00b/disable', { method: 'POST', ...bearer(admin) }), 'id', 'disable');
  });

  test('query strings', async () => {
    assertUnstorable(await fx.request('/admin/events?since=2026-01-01T00:00:00Z%00', bearer(admin)), 'since', 'admin events');
    assertUnstorable(await fx.request('/admin/analytics/top-events?unknown=%00', bearer(admin)), 'unknown', 'an unknown parameter too');
    assertUnstorable(await fx.request('/users/check-email?email=a%00b%40example.test'), 'email', 'check-email');
  });

  test('JSON bodies: POST /events data, keys and values at any depth', async () => {
    const user = await fx.token({ sub: randomUUID() });
    const post = (body: string) => fx.request('/events', { method: 'POST', headers: { ...bearer(user).headers, 'content-type': 'application/json' }, body });
    assertUnstorable(await post('{"type":"app.x","data":{"a":"\\u0000"}}'), 'data.a', 'NUL value');
    assertUnstorable(await post('{"type":"app.x","data":{"a":[{"b":"\\ud800"}]}}'), 'data.a.0.b', 'unpaired surrogate, deep');
    assertUnstorable(await post('{"type":"app.x","data":{"k\\u0000":1}}'), 'data.k\uFFFD', 'NUL key');
    assertUnstorable(await post('{"type":"app.x","data":{"\\udc00":1}}'), 'data.\uFFFD', 'unpaired surrogate key');
  });
});
