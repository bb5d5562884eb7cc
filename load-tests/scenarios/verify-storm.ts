import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runWrk } from '../drivers/wrk.ts';
import type { Scenario } from './types.ts';
import { prepareSessions } from './setup.ts';

export const verifyStorm: Scenario = {
  name: 'verify-storm',
  title: 'Token verification storm',
  description:
    'GET /auth/verify with the access tokens of freshly logged-in users, in turn, as fast as wrk can send them (one wrk process per target URL): the edge answers from its verified-token cache.',
  async run({ target, config, progress, emailFor }) {
    const c = config['verify-storm'];
    const emails = Array.from({ length: c.tokens }, (_, i) => emailFor('verify-storm', i));
    progress.log(`verify-storm: preparing ${c.tokens} logged-in users`);
    const { sessions, failed } = await prepareSessions(target.httpUrls, emails, { concurrency: 32, timeoutMs: c.timeoutS * 1000 + 60_000 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'authgate-verify-'));
    const tokensFile = path.join(dir, 'tokens.txt');
    writeFileSync(tokensFile, `${sessions.map((s) => s.accessToken).join('\n')}\n`, { mode: 0o600 });
    const started = Date.now();
    const done = progress.track('verify-storm', () => `wrk running  ${((Date.now() - started) / 1000).toFixed(0)}/${c.durationS} s  (wrk reports at the end)`);
    try {
      const metrics = await runWrk({
        urls: target.httpUrls,
        tokensFile,
        threads: c.threads,
        connections: c.connections,
        durationS: c.durationS,
        timeoutS: c.timeoutS,
        label: 'rest',
      });
      return {
        metrics,
        driver: 'wrk',
        details: {
          tokens: sessions.length,
          setupFailures: failed,
          wrkProcesses: target.httpUrls.length,
          threadsPerProcess: c.threads,
          connectionsPerProcess: c.connections,
        },
      };
    } finally {
      done();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
