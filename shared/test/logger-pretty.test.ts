import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';

/** Readable development logs (LOG_FORMAT=pretty) censor what the JSON lines censor. */

function capture(): { destination: Writable; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { destination, text: () => chunks.join('') };
}

/** pino-pretty hands its lines on asynchronously: wait until `count` lines arrived. */
async function lines(text: () => string, count: number): Promise<string[]> {
  for (let i = 0; i < 100 && text().split('\n').filter(Boolean).length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return text().split('\n').filter(Boolean);
}

test('a pretty line reads as time, level, message and fields, and censors secrets by name and by shape', async () => {
  const out = capture();
  const log = createLogger({ level: 'info', name: 'pretty-test', format: 'pretty', destination: out.destination });
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz';
  const plain = 'my very own secret password';
  const hash = `$2b$12$${'a'.repeat(53)}`;
  log.info({ userId: 'u-1', body: { password: plain }, headers: { authorization: `Bearer ${jwt}` } }, `login for token ${jwt}`);
  log.child({ apiKey: plain }).warn({ err: new Error(`driver said ${hash} to amqp://guest:guest@rabbit:5672`) }, 'child');
  const [first, second] = await lines(out.text, 2);
  assert.ok(first && second, out.text());
  assert.match(first, /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(pretty-test\): login for token \[redacted\] /, first);
  assert.match(first, /"userId":"u-1"/, 'fields stay readable on the same line');
  assert.doesNotMatch(first, /^\{/, 'not a JSON line');
  assert.match(second, /WARN/);
  for (const secret of [jwt, plain, hash, 'guest:guest']) assert.ok(!out.text().includes(secret), `${secret.slice(0, 12)} leaked: ${out.text()}`);
  assert.match(out.text(), /rabbit:5672/, 'what is not secret stays readable');
});

test('the JSON format is unchanged: one JSON object a line', async () => {
  const out = capture();
  createLogger({ level: 'info', name: 'json-test', destination: out.destination }).info({ token: 'abc' }, 'hello');
  const [line] = await lines(out.text, 1);
  assert.deepEqual({ ...JSON.parse(line!), time: 0, pid: 0 }, { level: 30, time: 0, pid: 0, name: 'json-test', token: '[redacted]', msg: 'hello' });
});

test('LOG_FORMAT: pretty by default in development only; JSON in production and test, and whenever LOG_FORMAT=json', () => {
  const format = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/unused', ...env }, 'mailer', () => '').LOG_FORMAT;
  assert.equal(format({}), 'pretty');
  assert.equal(format({ NODE_ENV: 'development' }), 'pretty');
  assert.equal(format({ NODE_ENV: 'development', LOG_FORMAT: 'json' }), 'json');
  assert.equal(format({ NODE_ENV: 'test' }), 'json');
  assert.equal(
    format({ NODE_ENV: 'production', SMTP_URL: 'smtp://mail.example.test', AMQP_URL: 'amqp://rabbit', PUBLIC_URL: 'https://auth.example.test' }),
    'json',
  );
  assert.throws(() => format({ LOG_FORMAT: 'yaml' }), /LOG_FORMAT/);
});
