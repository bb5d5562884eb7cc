import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe } from 'node:test';
import { createLogger } from '@authgate/shared/logger';
import { attack } from '../support/cases.ts';
import { everyProcess } from '../support/deployment.ts';
import { allSecrets, findLeaks } from '../support/secrets.ts';

/** Every line each process of the suite printed, stdout (pino's JSON lines) and stderr alike. */
function capturedTexts(): { where: string; text: string }[] {
  return everyProcess.flatMap(({ name, process, stderr }) => [
    ...process.lines.map((line, i) => ({ where: `${name} stdout line ${i + 1}`, text: JSON.stringify(line) })),
    ...stderr.map((chunk, i) => ({ where: `${name} stderr chunk ${i + 1}`, text: chunk })),
  ]);
}

/** Runs last: it reads what every other part of the suite made the processes print. */
export function logAttacks(): void {
  describe('no secret in any log line', () => {
    attack('the logger censors secret fields at any depth and secret-shaped strings anywhere, the message included', () => {
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const log = createLogger({ level: 'debug', name: 'scrub-test', destination });
      const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz';
      const refresh = `rt1.0f8fad5b-d9cb-469f-a165-70867728950e.${'A'.repeat(43)}`;
      const hash = `$2b$12$${'a'.repeat(53)}`;
      const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
      const plain = 'my very own secret password';
      log.debug({ body: { credentials: { user: { password: plain } } }, list: [{ refreshToken: refresh }], note: `token ${jwt} here` }, 'deep');
      log.info({ headers: { Authorization: `Bearer ${jwt}` }, stored: hash }, `message quoting ${refresh} and ${hash}`);
      log.warn({ err: new Error(`driver said ${pem} and amqp://guest:guest@rabbit:5672`) }, 'error');
      log.child({ apiKey: plain }).info({ newPassword: plain, x: { y: { z: { w: { passwordHash: hash } } } } }, 'child');
      const text = lines.join('');
      assert.equal(lines.length, 4, text);
      for (const secret of [jwt, refresh, hash, plain, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'guest:guest'])
        assert.ok(!text.includes(secret), `${secret.slice(0, 12)} leaked: ${text}`);
      assert.match(text, /\[redacted\]/);
      assert.match(text, /rabbit:5672/, 'what is not secret stays readable');
    });

    attack(
      'no password, refresh token, access token, bcrypt hash or private key used by the suite appears in any line its processes printed at LOG_LEVEL=debug',
      () => {
        const texts = capturedTexts();
        const secrets = allSecrets();
        const debugLines = everyProcess.flatMap((p) => p.process.lines).filter((l) => l.level === 20).length;
        console.log(
          `log scan: ${secrets.length} secrets looked for in ${texts.length} lines and chunks of ${everyProcess.length} processes (${debugLines} at debug level)`,
        );
        assert.ok(everyProcess.length >= 10, 'every deployment of the suite was captured');
        assert.ok(debugLines > 0, 'the processes ran at LOG_LEVEL=debug');
        assert.ok(secrets.length > 100, 'the suite recorded the secrets it used');
        // The scan itself can fail: a planted secret is found.
        assert.equal(findLeaks([{ where: 'planted', text: `{"msg":"x ${secrets[0]} y"}` }]).length, 1);
        const leaks = findLeaks(texts, secrets);
        assert.deepEqual(leaks, [], `secrets in logs: ${JSON.stringify(leaks.slice(0, 10))}`);
      },
    );
  });
}
