// k6 twin of npm run test:load's rest-auth: USERS virtual users (default 1000) at once, each
// registers a new account and logs in to it over REST.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e USERS=1000 load-tests/k6/rest-auth.ts
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { emailFor, intEnv, newRunId } from './lib/env.ts';
import { thresholds } from './lib/metrics.ts';
import { login, register } from './lib/rest.ts';

export const options: Options = {
  scenarios: {
    rest_auth: { executor: 'per-vu-iterations', vus: intEnv('USERS', 1000), iterations: 1, maxDuration: '5m' },
  },
  thresholds: thresholds({ p99Ms: 15_000, ops: ['register', 'login'] }),
};

export function setup(): { runId: string } {
  return { runId: newRunId() };
}

export default function (data: { runId: string }): void {
  const email = emailFor(data.runId, 'rest-auth', exec.vu.idInTest);
  register(email);
  login(email);
}
