// k6 twin of npm run test:load's ws-auth: USERS virtual users (default 1000), each opens a WebSocket
// with the shared typed client (AuthgateSocket on k6's WebSocket), registers and logs in over it.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e USERS=1000 load-tests/k6/ws-auth.ts
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { emailFor, intEnv, newRunId, PASSWORD } from './lib/env.ts';
import { thresholds } from './lib/metrics.ts';
import { connect, send } from './lib/socket.ts';

const TIMEOUT_MS = intEnv('TIMEOUT_S', 60) * 1000;

export const options: Options = {
  scenarios: {
    ws_auth: { executor: 'per-vu-iterations', vus: intEnv('USERS', 1000), iterations: 1, maxDuration: '5m' },
  },
  thresholds: thresholds({ p99Ms: 15_000, ops: [], ws: true }),
};

export function setup(): { runId: string } {
  return { runId: newRunId() };
}

export default async function (data: { runId: string }): Promise<void> {
  const email = emailFor(data.runId, 'ws-auth', exec.vu.idInTest);
  const socket = await connect(30_000);
  if (!socket) return;
  try {
    await send(socket, 'register', { email, password: PASSWORD }, TIMEOUT_MS);
    await send(socket, 'login', { email, password: PASSWORD }, TIMEOUT_MS);
  } finally {
    socket.close();
  }
}
