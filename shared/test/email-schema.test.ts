import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emailSchema } from '@authgate/shared/protocol';
import { loginBody, registerBody } from '@authgate/features/password/contract';

/** RFC 5321 §4.5.3.1.1 bounds the local part to 64 octets: a longer one is no deliverable address. */
describe('emailSchema', () => {
  test('a local part of 64 characters is accepted, 65 refused', () => {
    assert.equal(emailSchema.safeParse(`${'a'.repeat(64)}@example.test`).success, true);
    assert.equal(emailSchema.safeParse(`${'a'.repeat(65)}@example.test`).success, false);
    assert.equal(emailSchema.safeParse(`${'a'.repeat(200)}@example.test`).success, false);
  });

  test('register and login bodies refuse a local part over 64 characters, naming the email field', () => {
    for (const schema of [registerBody, loginBody]) {
      const parsed = schema.safeParse({ email: `${'b'.repeat(65)}@example.test`, password: 'correct horse battery' });
      assert.equal(parsed.success, false);
      assert.deepEqual(
        parsed.error!.issues.map((i) => i.path.join('.')),
        ['email'],
      );
    }
  });

  test('the whole address stays bounded at 254 characters; ordinary addresses pass', () => {
    assert.equal(emailSchema.safeParse(`a@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(60)}.test`).success, false);
    assert.equal(emailSchema.safeParse('Someone.Else+tag@Example.test').success, true);
  });
});
