import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { loadConfig } from '@authgate/shared/config';
import { tempDir } from '../../../test/helpers/services.ts';
import { loadOidcKeys } from '../api/keys.ts';

const pem = (type: 'rsa' | 'ec' = 'rsa') =>
  (type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })).privateKey
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
const configWith = (dir: string, env: Record<string, string> = {}) =>
  loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, DATABASE_URL: 'postgres://x@127.0.0.1/x', ...env }, 'api');

describe("the OpenID provider's keys", () => {
  test('development: a signing key and a cookie key made once in DATA_DIR/keys and kept', async () => {
    const data = tempDir('oidc-keys-dev');
    try {
      const first = await loadOidcKeys(configWith(data.dir));
      const again = await loadOidcKeys(configWith(data.dir));
      assert.equal(first.jwks.length, 1);
      assert.equal(first.jwks[0]!.kid, again.jwks[0]!.kid, 'the same key across restarts');
      assert.equal(first.jwks[0]!.alg, 'RS256');
      assert.ok(first.jwks[0]!.d, 'a private key: the provider signs with it');
      assert.deepEqual(first.cookieKeys, again.cookieKeys);
      assert.ok(first.cookieKeys[0]!.length >= 32);
    } finally {
      data.remove();
    }
  });

  test('rotation: OIDC_SIGNING_KEY signs (first), OIDC_OTHER_SIGNING_KEYS are published after it, each once', async () => {
    const data = tempDir('oidc-keys-rotation');
    try {
      const [current, next] = [pem(), pem()];
      const keys = await loadOidcKeys(
        configWith(data.dir, {
          OIDC_SIGNING_KEY: current,
          OIDC_OTHER_SIGNING_KEYS: `${next}\n${current}`,
          OIDC_COOKIE_KEYS: `${'n'.repeat(32)},${'o'.repeat(32)}`,
        }),
      );
      const alone = await loadOidcKeys(configWith(data.dir, { OIDC_SIGNING_KEY: next }));
      assert.equal(keys.jwks.length, 2, 'the current key listed again is not published twice');
      assert.equal(keys.jwks[1]!.kid, alone.jwks[0]!.kid, 'the next key, published without signing');
      assert.notEqual(keys.jwks[0]!.kid, keys.jwks[1]!.kid);
      assert.deepEqual(keys.cookieKeys, ['n'.repeat(32), 'o'.repeat(32)], 'newest first, as configured');
    } finally {
      data.remove();
    }
  });

  test('a key that is not an RSA private key is refused at start, naming the setting', async () => {
    const data = tempDir('oidc-keys-bad');
    try {
      await assert.rejects(loadOidcKeys(configWith(data.dir, { OIDC_SIGNING_KEY: pem('ec') })), /OIDC_SIGNING_KEY must be an RSA private key/);
      await assert.rejects(loadOidcKeys(configWith(data.dir, { OIDC_SIGNING_KEY: 'not a key' })), /OIDC_SIGNING_KEY is not a PKCS#8 PEM private key/);
      await assert.rejects(loadOidcKeys(configWith(data.dir, { OIDC_OTHER_SIGNING_KEYS: 'not a key' })), /OIDC_OTHER_SIGNING_KEYS holds no PKCS#8 PEM block/);
    } finally {
      data.remove();
    }
  });
});
