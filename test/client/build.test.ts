import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ERROR_STATUS as SDK_ERRORS } from '@authgate/client';
import { ERROR_STATUS } from '@authgate/shared/errors';

// Builds the page and the SDK if missing or older than their sources, as `npm test` and `npm start` do.
execFileSync(process.execPath, ['scripts/ensure-install.mjs'], { stdio: 'inherit' });

const SDK = 'client/dist/authgate-client.js';
const pageScripts = () =>
  readdirSync('web/dist/assets')
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join('web/dist/assets', f));

test("the SDK's error codes are the contract's, with the same statuses", () => {
  assert.deepEqual(SDK_ERRORS, ERROR_STATUS);
});

test('the browser builds (SDK and page) import nothing of Node and no server code', () => {
  for (const file of [SDK, ...pageScripts()]) {
    const code = readFileSync(file, 'utf8');
    // An import of a Node builtin, with or without the node: scheme, or a require() of anything.
    assert.doesNotMatch(code, /\bfrom\s*["'`](node:|fs["'`]|path["'`]|crypto["'`]|zlib["'`]|http["'`])/, `${file} imports a Node module`);
    assert.doesNotMatch(code, /\bimport\s*\(\s*["'`]node:/, `${file} imports a Node module`);
    assert.doesNotMatch(code, /\brequire\s*\(/, `${file} calls require()`);
    assert.doesNotMatch(code, /\bprocess\.env\b|\bBuffer\.from\b/, `${file} uses a Node global`);
    // Nothing of the server's shared package (zod schemas, drivers) is bundled into the browser.
    assert.doesNotMatch(code, /ioredis|amqplib|ZodError/, `${file} bundles server code`);
  }
});

test('the SDK is one small ES module (minified and gzipped size reported)', (t) => {
  const code = readFileSync(SDK);
  const gzipped = gzipSync(code, { level: 9 }).length;
  t.diagnostic(`client/dist/authgate-client.js: ${code.length} bytes minified, ${gzipped} bytes gzipped`);
  assert.match(code.toString(), /export\s*\{/, 'an ES module with exports');
  assert.ok(gzipped < 10_000, `the SDK stays under 10 kB gzipped (now ${gzipped} bytes)`);
});
