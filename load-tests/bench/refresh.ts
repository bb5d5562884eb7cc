import WebSocket from 'ws';
import { AuthgateSocket, type WebSocketClass } from '@authgate/shared/client/socket-client';
import { percentile, registerAndLogin, round, startPipeline } from './deployment.ts';

/**
 * (c) A refresh round trip, edge → RabbitMQ → worker → Redis PUBLISH → edge, over one WebSocket with
 * one request in flight (latency), then with many in flight on many sessions (throughput).
 */
export async function benchRefresh(seconds: number): Promise<Record<string, unknown>> {
  const pipeline = await startPipeline({ edges: 1, bcryptCost: 4 });
  try {
    const edge = pipeline.edges[0]!;
    const socket = await AuthgateSocket.connect(edge.wsUrl, WebSocket as unknown as WebSocketClass);
    let { refreshToken } = await registerAndLogin(edge.url, 'refresh');
    const latencies: number[] = [];
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const started = performance.now();
      const result = await socket.refresh(refreshToken);
      latencies.push(performance.now() - started);
      if (!result.ok) throw new Error(`refresh failed: ${JSON.stringify(result.error)}`);
      refreshToken = result.data!.refreshToken;
    }
    socket.close();
    latencies.sort((a, b) => a - b);

    const sessions = 128;
    const sockets = await Promise.all(Array.from({ length: 8 }, () => AuthgateSocket.connect(edge.wsUrl, WebSocket as unknown as WebSocketClass)));
    const tokens = await Promise.all(Array.from({ length: sessions }, () => registerAndLogin(edge.url, 'refresh-storm').then((p) => p.refreshToken)));
    let done = 0;
    const stormUntil = Date.now() + seconds * 1000;
    const started = Date.now();
    await Promise.all(
      tokens.map(async (token, i) => {
        let current = token;
        const s = sockets[i % sockets.length]!;
        while (Date.now() < stormUntil) {
          const result = await s.refresh(current);
          if (!result.ok) throw new Error(`refresh failed: ${JSON.stringify(result.error)}`);
          current = result.data!.refreshToken;
          done++;
        }
      }),
    );
    const perSecond = done / ((Date.now() - started) / 1000);
    for (const s of sockets) s.close();
    return {
      bench: 'c: refresh round trip',
      samples: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      saturatedPerSecond: Math.round(perSecond),
      inFlight: sessions,
      goal: 'p50 ≤ 1 ms, p99 ≤ 5 ms',
    };
  } finally {
    await pipeline.stop();
  }
}
