import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { type AuthgateClient, type ClientOptions, createClient, type EventMap, type WebSocketConstructor } from '@authgate/client';

export const PASSWORD = 'correct horse battery staple';

export function uniqueEmail(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}

/** What crossed the wire: every HTTP request (method, path, status), every WebSocket frame sent and every result received. */
export interface Wire {
  http: { method: string; path: string; status: number }[];
  frames: { type: string; id?: string }[];
  results: { id: string; ok: boolean }[];
  count(kind: 'refresh' | 'login' | 'authenticate'): number;
}

/**
 * A client of the SDK over the real network, with the real fetch and the `ws` package, each wrapped
 * only to record what it sends (the test counts refresh requests on the wire, not in the SDK).
 */
export function wiredClient(options: Partial<ClientOptions> & { baseUrl: string }): { client: AuthgateClient; wire: Wire } {
  const wire: Wire = {
    http: [],
    frames: [],
    results: [],
    count: (kind) => wire.http.filter((r) => r.method === 'POST' && r.path === `/auth/${kind}`).length + wire.frames.filter((f) => f.type === kind).length,
  };
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const response = await fetch(input, init);
    wire.http.push({ method: init?.method ?? 'GET', path: url.pathname, status: response.status });
    return response;
  };
  class RecordingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type?: string; id?: string; ok?: boolean };
        if (frame.type === 'result' && typeof frame.id === 'string') wire.results.push({ id: frame.id, ok: frame.ok === true });
      });
    }
    override send(data: string): void {
      const { type, id } = JSON.parse(data) as { type: string; id?: string };
      wire.frames.push({ type, id });
      super.send(data);
    }
  }
  const client = createClient({
    WebSocket: RecordingWebSocket as unknown as WebSocketConstructor,
    fetch: recordingFetch,
    backoff: { initialMs: 100, maxMs: 1_000 },
    ...options,
  });
  return { client, wire };
}

/** Resolves with the next `name` event of `client` (rejects after `timeoutMs`). */
export function nextEvent<K extends keyof EventMap>(
  client: AuthgateClient,
  name: K,
  timeoutMs = 10_000,
  match: (data: EventMap[K]) => boolean = () => true,
): Promise<EventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(name)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(name, (data) => {
      if (!match(data)) return;
      clearTimeout(timer);
      off();
      resolve(data);
    });
  });
}
