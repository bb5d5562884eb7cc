import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '@authgate/shared/config';
import { COMMAND_KINDS, PASSWORD_KINDS, SESSION_KINDS } from '@authgate/shared/protocol';
import { laneOf } from '@authgate/shared/transport/types';
import { PASSKEY_KINDS, PASSKEY_SESSION_KINDS } from '../contract.ts';
import { relyingPartyOf } from '../worker/relying-party.ts';

describe('passkeys contract', () => {
  test('every command is a queue command on the session lane: no bcrypt lane, no password-work unit', () => {
    for (const kind of PASSKEY_KINDS) {
      assert.ok(COMMAND_KINDS.includes(kind), kind);
      assert.equal(laneOf(kind), 'session', kind);
      assert.equal(PASSWORD_KINDS.has(kind), false, `${kind} takes no unit of its source's password work`);
    }
  });

  test('the account commands act for a session; the sign-in commands for nobody yet', () => {
    for (const kind of PASSKEY_KINDS) assert.equal(SESSION_KINDS.has(kind), (PASSKEY_SESSION_KINDS as readonly string[]).includes(kind), kind);
    assert.equal(SESSION_KINDS.has('passkey_login'), false);
    assert.equal(SESSION_KINDS.has('passkey_login_options'), false);
  });

  test('PASSKEY_CHALLENGE_TTL_S: 5 minutes by default, and never longer', () => {
    assert.equal(loadConfig({ NODE_ENV: 'test' }, 'worker').PASSKEY_CHALLENGE_TTL_S, 300);
    assert.equal(loadConfig({ NODE_ENV: 'test', PASSKEY_CHALLENGE_TTL_S: '2' }, 'worker').PASSKEY_CHALLENGE_TTL_S, 2);
    for (const bad of ['0', '301', 'soon']) {
      assert.throws(
        () => loadConfig({ NODE_ENV: 'test', PASSKEY_CHALLENGE_TTL_S: bad }, 'worker'),
        (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('PASSKEY_CHALLENGE_TTL_S')),
        bad,
      );
    }
  });
});

describe('the relying party, from PUBLIC_URL', () => {
  test('its id is the host without port or path; its origin scheme, host and port', () => {
    assert.deepEqual(relyingPartyOf('https://login.example.com/auth'), {
      id: 'login.example.com',
      origin: 'https://login.example.com',
      name: 'authgate',
      unavailable: undefined,
    });
    const local = relyingPartyOf('http://localhost:8080');
    assert.equal(local.id, 'localhost');
    assert.equal(local.origin, 'http://localhost:8080');
    assert.equal(local.unavailable, undefined);
  });

  test('an IP address for a host: unavailable, and it says why', () => {
    for (const url of ['http://127.0.0.1:8080', 'https://203.0.113.9', 'http://[::1]:8080']) {
      assert.match(relyingPartyOf(url).unavailable ?? '', /IP address/, url);
    }
  });
});
