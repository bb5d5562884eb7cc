import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from './helpers/services.ts';

/**
 * An edge is internet-facing and holds no database credentials (DESIGN.md): its process must not even
 * load the database layer, nor the client SDK. The child composes the edge's drivers as bin/ does,
 * imports the edge, and lists every module it resolved.
 */
const CHILD = `
import { composeDrivers } from '@authgate/shared/composition';
import { loadConfig } from '@authgate/shared/config';
import { createLogger } from '@authgate/shared/logger';
const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: process.env.DATA_DIR }, 'edge');
const drivers = await composeDrivers(config, 'edge', createLogger({ level: 'silent', name: 'modules' }));
await import('@authgate/edge');
await drivers.close();
await new Promise((resolve) => setTimeout(resolve, 200));
console.log(JSON.stringify([...globalThis.loadedModules]));
`;

test('an edge process loads no database layer (pg, PGlite, Kysely), no client SDK, no TOTP or WebAuthn library and no OpenID provider', () => {
  const data = tempDir('edge-modules');
  try {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/helpers/module-recorder.mjs', '--input-type=module', '-e', CHILD], {
      encoding: 'utf8',
      env: { ...process.env, DATA_DIR: data.dir },
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const modules = JSON.parse(child.stdout.trim().split('\n').pop()!) as string[];
    // The recorder sees what an edge does load: without these the test would pass by seeing nothing.
    assert.ok(
      modules.some((url) => url.includes('/services/edge/src/index.ts')),
      'the edge itself was not recorded',
    );
    assert.ok(
      modules.some((url) => url.includes('/shared/src/transport/memory-queue.ts')),
      'the queue driver was not recorded',
    );
    assert.ok(
      modules.some((url) => url.includes('/features/passkeys/contract.ts')),
      "the passkeys' contract (its routes) was not recorded",
    );
    const forbidden = [
      /\/node_modules\/pg\//,
      /\/node_modules\/@electric-sql\/pglite\//,
      /\/node_modules\/kysely/,
      /\/shared\/src\/db\//,
      /\/shared\/src\/client\//,
      // TOTP secrets are the workers' business: no edge loads the library that reads them.
      /\/node_modules\/otpauth\//,
      // The OpenID provider and its signing key live in the account API: an edge loads its names only.
      /\/node_modules\/oidc-provider\//,
      /\/features\/oidc\/(?!contract\.ts|paths\.ts)/,
      // Passkey ceremonies are verified on the workers: an edge loads the feature's contract only.
      /\/node_modules\/@simplewebauthn\//,
      /\/features\/passkeys\/(worker|stores|migrations)\//,
    ];
    const offending = modules.filter((url) => forbidden.some((pattern) => pattern.test(url)));
    assert.deepEqual(offending, [], 'an edge process loaded modules of the database layer or the client');
  } finally {
    data.remove();
  }
});
