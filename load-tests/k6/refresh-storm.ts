// k6 twin of npm run test:load's refresh-storm: SESSIONS sessions (default 200) prepared in setup(),
// one virtual user each, refresh back to back for DURATION (default 20s), each with the refresh
// token its last refresh returned; a session whose refresh fails logs in again.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e SESSIONS=200 load-tests/k6/refresh-storm.ts
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { emailFor, intEnv, newRunId, stringEnv } from './lib/env.ts';
import { thresholds } from './lib/metrics.ts';
import { login, prepareSessions, refresh, type TokenPair } from './lib/rest.ts';

const SESSIONS = intEnv('SESSIONS', 200);

export const options: Options = {
  setupTimeout: '5m',
  scenarios: {
    refresh_storm: { executor: 'constant-vus', vus: SESSIONS, duration: stringEnv('DURATION', '20s') },
  },
  thresholds: thresholds({ p99Ms: 3_000, ops: ['refresh'] }),
};

type Session = TokenPair & { email: string };

export function setup(): { sessions: Session[] } {
  const runId = newRunId();
  return { sessions: prepareSessions(Array.from({ length: SESSIONS }, (_, i) => emailFor(runId, 'refresh-storm', i))) };
}

// Module state lives per VU in k6: this is the VU's own session, carried from one iteration to the next.
let mine: { email: string; refreshToken: string | undefined } | undefined;

export default function (data: { sessions: Session[] }): void {
  if (!mine) {
    const s = data.sessions[(exec.vu.idInTest - 1) % data.sessions.length]!;
    mine = { email: s.email, refreshToken: s.refreshToken };
  }
  const pair = mine.refreshToken ? refresh(mine.refreshToken) : login(mine.email);
  mine.refreshToken = pair?.refreshToken;
}
