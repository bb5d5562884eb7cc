import WebSocket from 'ws';

/** A raw WebSocket client of /ws that keeps every result by id and every live event it receives. */
export class LiveSocket {
  readonly events: Array<{ event: string; data: any }> = [];
  readonly closed: Promise<{ code: number; at: number }>;
  private readonly waiting = new Map<string, (frame: any) => void>();
  private next = 0;

  private constructor(
    private readonly ws: WebSocket,
    readonly connectionId: string,
  ) {
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'event') this.events.push({ event: frame.event, data: frame.data });
      else if (frame.type === 'result') this.waiting.get(frame.id)?.(frame);
    });
  }

  static open(wsUrl: string, headers?: Record<string, string>): Promise<LiveSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, headers ? { headers } : undefined);
      ws.once('message', (raw) => {
        const frame = JSON.parse(raw.toString());
        resolve(new LiveSocket(ws, frame.connectionId));
      });
      ws.once('error', reject);
    });
  }

  /** Sends a request and resolves with its `result` frame. */
  request(type: string, body: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<any> {
    const id = `r${++this.next}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result for ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, (frame) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(frame);
      });
      this.ws.send(JSON.stringify({ type, id, ...body }));
    });
  }

  /** Resolves with the first event named `event` (already received or still to come). */
  async waitForEvent(event: string, timeoutMs = 5_000, match: (data: any) => boolean = () => true): Promise<{ event: string; data: any; at: number }> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.event === event && match(e.data));
      if (found) return { ...found, at: Date.now() };
      if (Date.now() > until) throw new Error(`no ${event} event within ${timeoutMs} ms (got ${JSON.stringify(this.events)})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.ws.close();
  }
}
