import { spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { post, registerAndLogin, startPipeline } from './deployment.ts';

/**
 * (f) Redis messages per delivered result with 1, 2 and 4 edges, counted by a private redis-server
 * (so no other traffic mixes in): PUBLISH calls per result, and pattern subscriptions (must be 0).
 */
export async function benchFanout(requests: number): Promise<Record<string, unknown>[]> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const redisUrl = `redis://127.0.0.1:${port}`;
  const redis = new Redis(redisUrl, { retryStrategy: (n) => (n > 50 ? null : 100) });
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    server.once('exit', () => reject(new Error('redis-server exited')));
  });
  const rows: Record<string, unknown>[] = [];
  try {
    for (const edges of [1, 2, 4]) {
      const pipeline = await startPipeline({ edges, bcryptCost: 4, redisUrl });
      try {
        const tokens = await Promise.all(
          Array.from({ length: 20 }, (_, i) => registerAndLogin(pipeline.edges[i % edges]!.url, 'fanout').then((p) => p.refreshToken)),
        );
        await redis.config('RESETSTAT');
        let delivered = 0;
        await Promise.all(
          tokens.map(async (token, i) => {
            let current = token;
            for (let n = 0; n < requests / tokens.length; n++) {
              const edge = pipeline.edges[(i + n) % edges]!;
              const res = await post(`${edge.url}/auth/refresh`, { refreshToken: current });
              if (res.status !== 200) throw new Error(`refresh answered ${res.status}`);
              current = res.body.refreshToken;
              delivered++;
            }
          }),
        );
        const stats = await redis.info('commandstats');
        const publishes = Number(/cmdstat_publish:calls=(\d+)/.exec(stats)?.[1] ?? 0);
        const patterns = Number(await redis.pubsub('NUMPAT'));
        rows.push({
          bench: `f: Redis messages per result, ${edges} edge(s)`,
          edges,
          delivered,
          publishes,
          perResult: publishes / delivered,
          patternSubscriptions: patterns,
          goal: '1',
        });
      } finally {
        await pipeline.stop();
      }
    }
  } finally {
    redis.disconnect();
    server.kill('SIGTERM');
  }
  return rows;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
