import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

/**
 * scripts/lib/fast-test-guard.mjs, preloaded by `npm run test:fast` into each file it runs: a child
 * process or a connection to the machine's PostgreSQL, Redis or RabbitMQ ends the file with the reason.
 */
function run(code: string, inTestFile = true) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // What node's test runner sets in the process of each file; the runner itself has none.
  if (inTestFile) env.NODE_TEST_CONTEXT = 'child-v8';
  else delete env.NODE_TEST_CONTEXT;
  return spawnSync(process.execPath, ['--import', './scripts/lib/fast-test-guard.mjs', '--input-type=module', '-e', code], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

test('a child process ends the file with the reason', () => {
  const child = run("import { execFileSync } from 'node:child_process'; execFileSync('true'); console.log('ran');");
  assert.equal(child.status, 1, child.stderr);
  assert.match(child.stderr, /test:fast: this file starts a child process \(child_process\.execFileSync\)/);
  assert.doesNotMatch(child.stdout, /ran/);
});

test('a connection to PostgreSQL, Redis or RabbitMQ ends the file with the reason, in each form of net.connect', () => {
  for (const [call, broker] of [
    ["net.connect(5432, '127.0.0.1')", 'PostgreSQL \\(port 5432\\)'],
    ["net.connect({ port: 6379, host: '127.0.0.1' })", 'Redis \\(port 6379\\)'],
    ["new net.Socket().connect('5672', '127.0.0.1')", 'RabbitMQ \\(port 5672\\)'],
  ]) {
    const child = run(`import net from 'node:net'; const socket = ${call}; socket.on('error', () => {}); console.log('ran');`);
    assert.equal(child.status, 1, `${call}: ${child.stderr}`);
    assert.match(child.stderr, new RegExp(`test:fast: this file connects to ${broker}`), call);
    assert.doesNotMatch(child.stdout, /ran/, call);
  }
});

test("a server of the file's own on loopback is reachable; the test runner itself may start processes", () => {
  const own = run(
    "import net from 'node:net'; const server = net.createServer((s) => s.end()).listen(0, '127.0.0.1', () => { const socket = net.connect(server.address().port, '127.0.0.1', () => { console.log('connected'); socket.destroy(); server.close(); }); });",
  );
  assert.equal(own.status, 0, own.stderr);
  assert.match(own.stdout, /connected/);
  const runner = run("import { execFileSync } from 'node:child_process'; execFileSync('true'); console.log('ran');", false);
  assert.equal(runner.status, 0, runner.stderr);
  assert.match(runner.stdout, /ran/);
});
