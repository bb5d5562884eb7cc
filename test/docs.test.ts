import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configSchema } from '@authgate/shared/config';

/** README.md is the user's manual: it must name every setting the code reads and every script it tells users to run. */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const scripts = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;

test('README documents every configuration setting', () => {
  const missing = Object.keys(configSchema.shape).filter((name) => !readme.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});

test('every `npm run <script>` in README exists in package.json', () => {
  const named = [...readme.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => m[1]!);
  assert.ok(named.length > 5);
  assert.deepEqual([...new Set(named.filter((name) => !(name in scripts)))], []);
  assert.ok(scripts.start && scripts.test, 'npm start and npm test exist');
});
