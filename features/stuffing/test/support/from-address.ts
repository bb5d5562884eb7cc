import http from 'node:http';

/**
 * Requests from many source addresses without a proxy: on Linux every address of 127.0.0.0/8 is the
 * loopback's, so a client may bind any of them (`localAddress`) and the edge sees that as its IP.
 */
export function loopbackAddress(index: number): string {
  // 127.1.0.0 onwards: never 127.0.0.1, which the tests' own clients use.
  const n = index + 65_536;
  return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export interface Answer {
  status: number;
  body: any;
}

/** A JSON POST to `base + path`, sent from `localAddress`. A keep-alive-free request: one address, one connection. */
export function postFrom(base: string, path: string, body: unknown, localAddress: string, timeoutMs = 10_000): Promise<Answer> {
  const url = new URL(path, base);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        agent: false,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(payload);
  });
}
