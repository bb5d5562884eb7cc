// Runs before `npm start` and `npm test`: on a fresh clone (or after package-lock.json changed) it
// installs the locked dependencies, so the two README commands are all the set-up a machine needs.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const lock = 'package-lock.json';
const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  console.error('authgate: installing dependencies (npm ci)...');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}

// The page the gateway serves at / (web/dist) and the SDK's browser build (client/dist): built when
// missing or older than their sources, so that `npm start` and `npm test` serve and test the current page.
const newest = (dir) => {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return latest;
};
// A feature's part of the SDK (features/<name>/sdk.ts) and of the page (features/<name>/web/).
const featureParts = (part) =>
  existsSync('features')
    ? readdirSync('features', { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(path.join('features', entry.name, part)))
        .map((entry) => path.join('features', entry.name, part))
    : [];
const builds = [
  { output: 'web/dist/index.html', sources: ['web/src', 'web/index.html', 'client/src', ...featureParts('sdk.ts'), ...featureParts('web')] },
  { output: 'client/dist/authgate-client.js', sources: ['client/src', ...featureParts('sdk.ts')] },
];
const outdated = builds.some(({ output, sources }) => {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((source) => (statSync(source).isDirectory() ? newest(source) : statSync(source).mtimeMs) > built);
});
if (outdated) {
  console.error('authgate: building the page and the client SDK (npm run build)...');
  execSync('npm run build', { stdio: 'inherit' });
}
