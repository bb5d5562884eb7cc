// k6 twin of npm run test:load's verify-storm: VUS virtual users (default 128) send GET /auth/verify
// with the access tokens of TOKENS users (default 200) prepared in setup(), for DURATION (default 20s).
// npm run test:load drives this one with wrk: k6, like any client in a scripting runtime, saturates
// a uWebSockets.js edge less easily, so compare its figures with that in mind.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e DURATION=20s load-tests/k6/verify-storm.ts
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { emailFor, intEnv, newRunId, stringEnv } from './lib/env.ts';
import { thresholds } from './lib/metrics.ts';
import { prepareSessions, verify } from './lib/rest.ts';

export const options: Options = {
  setupTimeout: '5m',
  scenarios: {
    verify_storm: { executor: 'constant-vus', vus: intEnv('VUS', 128), duration: stringEnv('DURATION', '20s') },
  },
  thresholds: thresholds({ p99Ms: 250, minSuccessRate: 0.999, ops: ['verify'] }),
};

export function setup(): { tokens: string[] } {
  const runId = newRunId();
  const emails = Array.from({ length: intEnv('TOKENS', 200) }, (_, i) => emailFor(runId, 'verify-storm', i));
  return { tokens: prepareSessions(emails).map((s) => s.accessToken) };
}

export default function (data: { tokens: string[] }): void {
  const { tokens } = data;
  verify(tokens[(exec.vu.idInTest + exec.vu.iterationInScenario) % tokens.length]!);
}
