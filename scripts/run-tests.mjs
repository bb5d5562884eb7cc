// Runs every *.test.ts under shared/, services/, features/ and test/ with node's own test runner (through tsx),
// so CI reads node's closing summary. Pass file paths to run only those.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) find(full, out);
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const files = process.argv.length > 2 ? process.argv.slice(2) : ['shared', 'services', 'features', 'test'].flatMap((d) => find(d, [])).sort();
const result = spawnSync(
  process.execPath,
  [
    '--require',
    './bin/threadpool.cjs',
    '--import',
    'tsx',
    '--test',
    // A file whose tests have all finished ends even if a handle (a client a test forgot to close)
    // would keep its process alive; an unfinished test still fails on its own.
    '--test-force-exit',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
