// k6 twin of npm run test:load's mixed run: REST_USERS (default 300) REST users and WS_USERS (default
// 300) WebSocket users at once for DURATION (default 30s). Each iteration is one user's life: register,
// log in, verify VERIFIES times (default 8), refresh REFRESHES times (default 2, each followed by the
// verifies again), log out.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e DURATION=30s load-tests/k6/mixed.ts
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import type { TokenPairData } from '../../shared/src/client/socket-client.ts';
import { emailFor, intEnv, newRunId, PASSWORD, stringEnv } from './lib/env.ts';
import { thresholds } from './lib/metrics.ts';
import { login, logout, refresh, register, verify } from './lib/rest.ts';
import { connect, send } from './lib/socket.ts';

const DURATION = stringEnv('DURATION', '30s');
const VERIFIES = intEnv('VERIFIES', 8);
const REFRESHES = intEnv('REFRESHES', 2);
const TIMEOUT_MS = intEnv('TIMEOUT_S', 30) * 1000;

export const options: Options = {
  scenarios: {
    rest_users: { executor: 'constant-vus', vus: intEnv('REST_USERS', 300), duration: DURATION, exec: 'restUser' },
    ws_users: { executor: 'constant-vus', vus: intEnv('WS_USERS', 300), duration: DURATION, exec: 'wsUser' },
  },
  thresholds: thresholds({ p99Ms: 5_000, ops: ['register', 'login', 'verify', 'refresh', 'logout'], ws: true }),
};

export function setup(): { runId: string } {
  return { runId: newRunId() };
}

function userEmail(runId: string, transport: string): string {
  return emailFor(runId, 'mixed', `${transport}${exec.vu.idInTest}-${exec.vu.iterationInScenario}`);
}

export function restUser(data: { runId: string }): void {
  const email = userEmail(data.runId, 'r');
  if (!register(email)) return;
  let pair = login(email);
  for (let r = 0; pair && r <= REFRESHES; r++) {
    for (let v = 0; v < VERIFIES; v++) verify(pair.accessToken);
    if (r < REFRESHES) pair = refresh(pair.refreshToken);
  }
  if (pair) logout(pair.refreshToken);
}

export async function wsUser(data: { runId: string }): Promise<void> {
  const email = userEmail(data.runId, 'w');
  const socket = await connect(30_000);
  if (!socket) return;
  try {
    if (!(await send(socket, 'register', { email, password: PASSWORD }, TIMEOUT_MS))) return;
    let pair = await send<TokenPairData>(socket, 'login', { email, password: PASSWORD }, TIMEOUT_MS);
    for (let r = 0; pair && r <= REFRESHES; r++) {
      for (let v = 0; v < VERIFIES; v++) await send(socket, 'verify', { accessToken: pair.accessToken }, TIMEOUT_MS);
      if (r < REFRESHES) pair = await send<TokenPairData>(socket, 'refresh', { refreshToken: pair.refreshToken }, TIMEOUT_MS);
    }
    if (pair) await send(socket, 'logout', { refreshToken: pair.refreshToken }, TIMEOUT_MS);
  } finally {
    socket.close();
  }
}
