// Runs every *.test.ts under shared/, services/, features/ and test/ with node's own test runner (through tsx),
// so CI reads node's closing summary. Pass file paths to run only those; `--fast` runs FAST_TESTS.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run test:fast`: unit and contract tests on the in-process drivers and PGlite, for a loop of a
 * minute or two. Each file is run with scripts/lib/fast-test-guard.mjs preloaded, which ends the file
 * with the reason if it starts a child process or connects to PostgreSQL, Redis or RabbitMQ: a file
 * that belongs here stays fast, and one that does not cannot be listed by mistake.
 */
const FAST_TESTS = [
  'features/oidc/test/keys.test.ts',
  'features/passkeys/test/contract.test.ts',
  'features/test/list.test.ts',
  'features/stuffing/test/breach.test.ts',
  'features/stuffing/test/challenge.test.ts',
  'features/stuffing/test/detector.test.ts',
  'features/stuffing/test/rate.test.ts',
  'services/api/test/config.test.ts',
  'services/edge/test/admission.test.ts',
  'services/edge/test/relay.test.ts',
  'services/edge/test/verify.test.ts',
  'services/mailer/test/failures.test.ts',
  'services/mailer/test/outbox.test.ts',
  'services/worker/test/tokens.test.ts',
  'features/second-factor/test/totp.test.ts',
  'shared/test/config.test.ts',
  'shared/test/email-schema.test.ts',
  'shared/test/limiter-store.test.ts',
  'shared/test/logger-pretty.test.ts',
  'shared/test/mail-config.test.ts',
  'shared/test/metrics-families.test.ts',
  'shared/test/result-seal.test.ts',
  'shared/test/storable-text.test.ts',
  'test/chaos/report.test.ts',
  'test/client/sdk-commands.test.ts',
  'test/contract-docs.test.ts',
  'test/docs.test.ts',
  'test/k8s-manifests.test.ts',
  'test/load/bench-select.test.ts',
  'test/load/load-metrics.test.ts',
  'test/load/socket-client-within.test.ts',
  'test/mail-links.test.ts',
  'test/observability/tracing.test.ts',
  'test/openapi-document.test.ts',
];

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) find(full, out);
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const args = process.argv.slice(2);
const fast = args.includes('--fast');
const named = args.filter((arg) => arg !== '--fast');
const files = named.length > 0 ? named : fast ? FAST_TESTS : ['shared', 'services', 'features', 'test'].flatMap((d) => find(d, [])).sort();
const started = Date.now();
const result = spawnSync(
  process.execPath,
  [
    '--require',
    './bin/threadpool.cjs',
    '--import',
    'tsx',
    ...(fast ? ['--import', './scripts/lib/fast-test-guard.mjs'] : []),
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
if (fast) console.log(`test:fast: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(result.status ?? 1);
