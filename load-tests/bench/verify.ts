import { spawn } from 'node:child_process';
import path from 'node:path';
import { startProcess } from '../../scripts/lib/processes.ts';
import { tempDir } from '../../scripts/lib/services.ts';
import { OPEN_LIMITS, registerAndLogin, round } from './deployment.ts';
import { wrk, type WrkResult } from './wrk.ts';

/** (a) GET /auth/verify on a cached token ÷ a bare uWebSockets.js handler answering the same body. */
export async function benchVerify(seconds: number): Promise<Record<string, unknown>> {
  const data = tempDir('bench-a');
  const edge = await startProcess('all', { DATA_DIR: data.dir, BCRYPT_COST: '4', ...OPEN_LIMITS });
  const baseline = await startBare('bare');
  const sameHeaders = await startBare('edge');
  try {
    const { accessToken } = await registerAndLogin(edge.url, 'verify');
    const headers = { Authorization: `Bearer ${accessToken}` };
    const connections = 64;
    // Alternate the two servers, twice each, and keep each one's best: warm-up and noise hit both alike.
    const bareRuns: WrkResult[] = [];
    const sameHeaderRuns: WrkResult[] = [];
    const edgeRuns: WrkResult[] = [];
    for (let i = 0; i < 2; i++) {
      bareRuns.push(await wrk(`${baseline.url}/auth/verify`, { seconds, connections, headers }));
      sameHeaderRuns.push(await wrk(`${sameHeaders.url}/auth/verify`, { seconds, connections, headers }));
      edgeRuns.push(await wrk(`${edge.url}/auth/verify`, { seconds, connections, headers }));
    }
    const best = (runs: WrkResult[]) => runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
    const b = best(bareRuns);
    const e = best(edgeRuns);
    if (e.non2xx > 0) throw new Error(`verify answered ${e.non2xx} non-2xx responses`);
    return {
      bench: 'a: verify (cached) ÷ bare uWS',
      bareRps: Math.round(b.requestsPerSecond),
      verifyRps: Math.round(e.requestsPerSecond),
      ratio: round(e.requestsPerSecond / b.requestsPerSecond),
      bareWithEdgeHeadersRps: Math.round(best(sameHeaderRuns).requestsPerSecond),
      ratioToBareWithEdgeHeaders: round(e.requestsPerSecond / best(sameHeaderRuns).requestsPerSecond),
      verifyP99Ms: e.p99Ms,
      goal: '≥ 0.75',
      command: `wrk -t1 -c${connections} -d${seconds}s`,
    };
  } finally {
    await baseline.stop();
    await sameHeaders.stop();
    await edge.stop();
    data.remove();
  }
}

async function startBare(headers: 'bare' | 'edge'): Promise<{ url: string; stop: () => Promise<unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('load-tests', 'bench', 'bare-uws.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HEADERS: headers },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port as number));
    child.once('exit', () => reject(new Error('bare uWS server exited')));
  });
  return { url: `http://127.0.0.1:${port}`, stop: async () => child.kill('SIGTERM') };
}
