import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { AuthgateSocket, type WebSocketClass } from '@authgate/shared/client/socket-client';
import { percentile, registerAndLogin, round, startPipeline } from './deployment.ts';

const run = promisify(execFile);

/** The bare hop (bare-hop.ts) for `seconds`, in a process of its own. */
async function bareHop(seconds: number): Promise<{ samples: number; p50Ms: number; p99Ms: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'load-tests/bench/bare-hop.ts'], {
    env: { ...process.env, SECONDS: String(seconds) },
    timeout: (seconds + 60) * 1000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

/** User + system CPU time of a process so far, in ms (/proc/<pid>/stat fields 14 and 15, 100 ticks a second). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The shared RabbitMQ and Redis of this machine (their CPU is every user's: read it while nothing else runs). */
function servicePids(): Record<string, number> {
  const found: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (cmdline.includes('beam.smp') && cmdline.includes('rabbit')) found.rabbitmq = Number(entry);
    else if (cmdline.startsWith('redis-server 127.0.0.1:6379')) found.redis = Number(entry);
  }
  return found;
}

/**
 * The signature's own ceiling on two cores, measured in the same run: openssl's sign rate for the
 * access tokens' algorithm (RSA-2048 for RS256, P-256 for ES256), two processes at once.
 */
async function opensslSignsPerSecond(alg: string): Promise<number> {
  const { stdout } = await run('openssl', ['speed', '-seconds', '2', '-multi', '2', alg === 'ES256' ? 'ecdsap256' : 'rsa2048'], { timeout: 60_000 });
  const numbers = stdout.trim().split('\n').at(-1)!.trim().split(/\s+/);
  return Number(numbers.at(-2));
}

/**
 * (c) A refresh round trip, edge → RabbitMQ → worker → Redis PUBLISH → edge, over one WebSocket with
 * one request in flight (latency), then with many in flight on many sessions (throughput). The
 * baseline: the bare hop with the same drivers and no work (bare-hop.ts), alternated with the refresh
 * runs, ROUNDS times each, so that the machine's load hits both alike. JWT_ALG (RS256 unless set) is
 * the workers' signature; the saturated rate is also given ÷ openssl's sign rate on the same two cores.
 */
export async function benchRefresh(seconds: number): Promise<Record<string, unknown>> {
  const alg = process.env.JWT_ALG ?? 'RS256';
  const pipeline = await startPipeline({ edges: 1, bcryptCost: 4, env: { JWT_ALG: alg } });
  try {
    const edge = pipeline.edges[0]!;
    const socket = await AuthgateSocket.connect(edge.wsUrl, WebSocket as unknown as WebSocketClass);
    let { refreshToken } = await registerAndLogin(edge.url, 'refresh');
    const latencies: number[] = [];
    const rounds = Number(process.env.BENCH_REFRESH_ROUNDS ?? 3);
    const slice = Math.max(2, Math.round(seconds / rounds));
    const hops: { samples: number; p50Ms: number; p99Ms: number }[] = [];
    const perRound: { refreshP50Ms: number; hopP50Ms: number; ratio: number }[] = [];
    for (let round_ = 0; round_ < rounds; round_++) {
      const hop = await bareHop(slice);
      hops.push(hop);
      const these: number[] = [];
      const until = Date.now() + slice * 1000;
      while (Date.now() < until) {
        const started = performance.now();
        const result = await socket.refresh(refreshToken);
        these.push(performance.now() - started);
        if (!result.ok) throw new Error(`refresh failed: ${JSON.stringify(result.error)}`);
        refreshToken = result.data!.refreshToken;
      }
      these.sort((a, b) => a - b);
      latencies.push(...these);
      perRound.push({ refreshP50Ms: round(percentile(these, 50)), hopP50Ms: round(hop.p50Ms), ratio: round(percentile(these, 50) / hop.p50Ms, 2) });
    }
    latencies.sort((a, b) => a - b);

    // One socket per session, as a browser tab holds one: a socket shared by several accounts would
    // move its account's presence with every refresh, which no client does.
    const sessions = 128;
    const sockets = await Promise.all(Array.from({ length: sessions }, () => AuthgateSocket.connect(edge.wsUrl, WebSocket as unknown as WebSocketClass)));
    const tokens = await Promise.all(Array.from({ length: sessions }, () => registerAndLogin(edge.url, 'refresh-storm').then((p) => p.refreshToken)));
    let done = 0;
    // Where the two cores go during the storm: CPU ms per refresh of each process.
    const pids: Record<string, number> = { edge: edge.child.pid!, worker: pipeline.worker.child.pid!, ...servicePids() };
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid)]));
    const clientBefore = process.cpuUsage();
    const stormUntil = Date.now() + seconds * 1000;
    const started = Date.now();
    await Promise.all(
      tokens.map(async (token, i) => {
        let current = token;
        const s = sockets[i]!;
        while (Date.now() < stormUntil) {
          const result = await s.refresh(current);
          if (!result.ok) throw new Error(`refresh failed: ${JSON.stringify(result.error)}`);
          current = result.data!.refreshToken;
          done++;
        }
      }),
    );
    const perSecond = done / ((Date.now() - started) / 1000);
    const client = process.cpuUsage(clientBefore);
    const cpuMsPerRefresh: Record<string, number> = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, round((cpuMsOf(pid) - cpuBefore[name]!) / done, 3)]),
    );
    cpuMsPerRefresh.benchClient = round((client.user + client.system) / 1000 / done, 3);
    for (const s of sockets) s.close();
    const signs = await opensslSignsPerSecond(alg);
    return {
      bench: 'c: refresh round trip',
      alg,
      samples: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      bareHopP50Ms: round(median(hops.map((h) => h.p50Ms))),
      bareHopP99Ms: round(median(hops.map((h) => h.p99Ms))),
      p50RatioToBareHop: round(percentile(latencies, 50) / median(hops.map((h) => h.p50Ms)), 2),
      rounds: perRound,
      saturatedPerSecond: Math.round(perSecond),
      inFlight: sessions,
      cpuMsPerRefresh,
      opensslSignsPerSecondTwoCores: Math.round(signs),
      saturatedPerOpensslSign: round(perSecond / signs, 3),
      goal: 'p50 ≤ 1.5 ms, p99 ≤ 5 ms (bare hop ~0.5 ms on a quiet machine); ≥ 2,500/s saturated',
    };
  } finally {
    await pipeline.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
