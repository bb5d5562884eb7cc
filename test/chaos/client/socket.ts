import WebSocket from 'ws';

export interface ResultFrame {
  type: 'result';
  id: string;
  ok: boolean;
  status: number;
  data?: any;
  error?: { code: string; message: string };
}

export type Answer = { kind: 'result'; frame: ResultFrame } | { kind: 'closed' } | { kind: 'timeout' };

/**
 * One WebSocket of a chaos client, speaking the /ws protocol of docs/websocket.md at the frame level so that every
 * frame is seen: a second `result` for an id that has had one is counted as a duplicate answer.
 */
export class ChaosSocket {
  readonly closed: Promise<void>;
  private readonly waiting = new Map<string, (answer: Answer) => void>();
  private readonly answered = new Set<string>();
  private isClosed = false;

  private constructor(
    private readonly ws: WebSocket,
    readonly connectionId: string,
    private readonly onDuplicate: (id: string) => void,
  ) {
    this.closed = new Promise((resolve) => {
      ws.on('close', () => {
        this.isClosed = true;
        for (const [id, settle] of this.waiting) {
          this.waiting.delete(id);
          settle({ kind: 'closed' });
        }
        resolve();
      });
    });
    ws.on('message', (data) => this.dispatch(data.toString()));
  }

  /** Opens a connection and resolves on the server's `welcome`; rejects within `timeoutMs` otherwise. */
  static open(url: string, onDuplicate: (id: string) => void, timeoutMs = 5_000): Promise<ChaosSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no welcome'));
      }, timeoutMs);
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.once('message', (data) => {
        clearTimeout(timer);
        const frame = JSON.parse(data.toString()) as { type: string; connectionId?: string };
        if (frame.type !== 'welcome' || !frame.connectionId) {
          ws.terminate();
          reject(new Error(`expected welcome, got ${frame.type}`));
          return;
        }
        ws.removeAllListeners('error');
        ws.on('error', () => {}); // a lost node shows as a close
        resolve(new ChaosSocket(ws, frame.connectionId, onDuplicate));
      });
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  private dispatch(text: string): void {
    const frame = JSON.parse(text) as ResultFrame | { type: string };
    if (frame.type !== 'result') return;
    const result = frame as ResultFrame;
    if (this.answered.has(result.id)) {
      this.onDuplicate(result.id);
      return;
    }
    this.answered.add(result.id);
    const settle = this.waiting.get(result.id);
    this.waiting.delete(result.id);
    settle?.({ kind: 'result', frame: result });
  }

  /** Sends one request; resolves with its result, with `closed` if the connection drops first, or `timeout`. */
  request(id: string, type: string, fields: Record<string, unknown>, timeoutMs: number): Promise<Answer> {
    if (this.isClosed) return Promise.resolve({ kind: 'closed' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.ws.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
