import { spawn } from 'node:child_process';
import path from 'node:path';
import { startProcess } from '../../scripts/lib/processes.ts';
import { tempDir } from '../../scripts/lib/services.ts';
import { answerBytes } from './answer-bytes.ts';
import { cpuMicros } from './process-cpu.ts';
import { OPEN_LIMITS, registerAndLogin, round } from './deployment.ts';
import { wrk, type WrkResult } from './wrk.ts';

/** (a) GET /auth/verify on a cached token ÷ a bare uWebSockets.js handler answering the same body. */
export async function benchVerify(seconds: number): Promise<Record<string, unknown>> {
  const data = tempDir('bench-a');
  const edge = await startProcess('all', { DATA_DIR: data.dir, BCRYPT_COST: '4', ...OPEN_LIMITS });
  const baseline = await startBare('bare');
  const sameHeaders = await startBare('edge');
  const helmetHeaders = await startBare('helmet');
  try {
    const { accessToken } = await registerAndLogin(edge.url, 'verify');
    const headers = { Authorization: `Bearer ${accessToken}` };
    const connections = 64;
    // Alternate the two servers, twice each, and keep each one's best: warm-up and noise hit both alike.
    const bareRuns: WrkResult[] = [];
    const sameHeaderRuns: WrkResult[] = [];
    const edgeRuns: WrkResult[] = [];
    const helmetRuns: WrkResult[] = [];
    const runs = Number(process.env.BENCH_VERIFY_RUNS ?? 2);
    const ratios: number[] = [];
    // CPU per answer of each server process: what a busy neighbour on a shared box changes least.
    const cpuUs = { bare: [] as number[], edge: [] as number[] };
    const measured = async (server: { url: string; pid: number }, cpu?: number[]) => {
      const before = cpuMicros(server.pid);
      const result = await wrk(`${server.url}/auth/verify`, { seconds, connections, headers });
      cpu?.push((cpuMicros(server.pid) - before) / result.requests);
      return result;
    };
    const edgeServer = { url: edge.url, pid: edge.child.pid! };
    for (let i = 0; i < runs; i++) {
      bareRuns.push(await measured(baseline, cpuUs.bare));
      sameHeaderRuns.push(await measured(sameHeaders));
      helmetRuns.push(await measured(helmetHeaders));
      edgeRuns.push(await measured(edgeServer, cpuUs.edge));
      ratios.push(round(edgeRuns.at(-1)!.requestsPerSecond / bareRuns.at(-1)!.requestsPerSecond));
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
      bareWithHelmetSetRps: Math.round(best(helmetRuns).requestsPerSecond),
      helmetSetRatioToBare: round(best(helmetRuns).requestsPerSecond / b.requestsPerSecond),
      ratioEachRun: ratios,
      cpuUsPerAnswer: { bare: cpuUs.bare.map((v) => round(v, 2)), verify: cpuUs.edge.map((v) => round(v, 2)) },
      cpuRatio: round(Math.min(...cpuUs.bare) / Math.min(...cpuUs.edge)),
      answerBytes: {
        verify: await answerBytes(`${edge.url}/auth/verify`, headers),
        bare: await answerBytes(`${baseline.url}/auth/verify`, headers),
        bareWithEdgeHeaders: await answerBytes(`${sameHeaders.url}/auth/verify`, headers),
        bareWithHelmetSet: await answerBytes(`${helmetHeaders.url}/auth/verify`, headers),
      },
      verifyP99Ms: e.p99Ms,
      goal: '≥ 0.85',
      command: `wrk -t1 -c${connections} -d${seconds}s`,
    };
  } finally {
    await baseline.stop();
    await sameHeaders.stop();
    await helmetHeaders.stop();
    await edge.stop();
    data.remove();
  }
}

async function startBare(headers: 'bare' | 'edge' | 'helmet'): Promise<{ url: string; pid: number; stop: () => Promise<unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('load-tests', 'bench', 'bare-uws.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HEADERS: headers },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port as number));
    child.once('exit', () => reject(new Error('bare uWS server exited')));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: async () => child.kill('SIGTERM') };
}
