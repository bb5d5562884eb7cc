import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configSchema } from '@authgate/shared/config';

/**
 * README.md is the newcomer's guide and docs/ the manual: the configuration page must name every
 * setting the code reads, and no page may tell users to run a script that does not exist.
 */
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');
const docPages = readdirSync(new URL('../docs/', import.meta.url)).filter((name) => name.endsWith('.md'));
const featureGuides = readdirSync(new URL('../features/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(new URL(`../features/${entry.name}/docs.md`, import.meta.url)))
  .map((entry) => `features/${entry.name}/docs.md`);
const userPages = ['README.md', ...docPages.map((name) => `docs/${name}`), ...featureGuides];
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

test('docs/configuration.md documents every configuration setting', () => {
  const reference = read('docs/configuration.md');
  const missing = Object.keys(configSchema.shape).filter((name) => !reference.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});

test('every `npm run <script>` in README, docs/ and the feature guides exists in package.json', () => {
  const named = userPages.flatMap((page) => [...read(page).matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => `${page}: ${m[1]!}`));
  assert.ok(named.length > 5);
  const unknown = named.filter((entry) => !(entry.split(': ')[1]! in scripts));
  assert.deepEqual([...new Set(unknown)], []);
  assert.ok(scripts.start && scripts.test, 'npm start and npm test exist');
});

test('README is a guide of at most 500 lines that gives the two commands', () => {
  const lines = readme.split('\n').length;
  assert.ok(lines <= 500, `README.md has ${lines} lines; move detail to a page of docs/`);
  assert.match(readme, /^npm start\b/m);
  assert.match(readme, /^npm test\b/m);
});

test('docs/README.md, the index, links every page of docs/', () => {
  const index = read('docs/README.md');
  const unlisted = docPages.filter((name) => name !== 'README.md' && !index.includes(`](${name})`));
  assert.deepEqual(unlisted, []);
});
