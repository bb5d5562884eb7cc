import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromOtlpJson, type SpanRecord } from './spans.ts';

/** An OTLP/HTTP trace receiver on loopback (JSON, as exporter-trace-otlp-http sends): what processes export lands in `spans`. */
export async function startOtlpReceiver(): Promise<{ url: string; spans: SpanRecord[]; close(): Promise<void> }> {
  const spans: SpanRecord[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        try {
          spans.push(...fromOtlpJson(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        } catch {
          res.writeHead(400).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
