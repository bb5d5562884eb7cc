import { Worker } from 'node:worker_threads';

export type ThreadRequest = { type: 'query'; id: number; sql: string; params: unknown[] } | { type: 'close' };
export type ThreadReply =
  | { type: 'rows'; id: number; rows: unknown[]; affectedRows?: number | undefined }
  | { type: 'failed'; id: number; error: Record<string, unknown> }
  | { type: 'closed' };

interface Waiting {
  resolve: (result: { rows: unknown[]; affectedRows?: number | undefined }) => void;
  reject: (err: Error) => void;
}

/**
 * The part of PGlite that kysely-pglite-dialect uses (`query`, `close`), served by a PGlite running in
 * a worker thread of its own (pglite-thread.mjs). In the all-in-one shape a login's queries took ~5 ms
 * of WebAssembly on the event loop, and every verify that came meanwhile waited for them (bench (d):
 * verify p99 under a login storm); here the loop only posts the query and takes the rows. Rows, dates, byte arrays and bigints
 * cross by structured clone, as they come out of PGlite.
 *
 * The thread holds the process open only while a query is waiting, as a socket with a request in
 * flight does: an idle embedded database does not keep a finished process alive.
 */
export class ThreadedPglite {
  private readonly thread: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(dir: string) {
    this.thread = new Worker(new URL('./pglite-thread.mjs', import.meta.url), { workerData: { dir } });
    this.thread.unref();
    this.thread.on('message', (reply: ThreadReply) => this.answer(reply));
    this.thread.on('error', (err) => this.fail(err));
    this.thread.on('exit', (code) => this.fail(new Error(`the embedded database's thread exited (code ${code})`)));
  }

  query(sql: string, params: readonly unknown[] = []): Promise<{ rows: unknown[]; affectedRows?: number | undefined }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.waiting.size === 0) this.thread.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      try {
        this.thread.postMessage({ type: 'query', id, sql, params: [...params] } satisfies ThreadRequest);
      } catch (err) {
        // A parameter that cannot be cloned (DataCloneError): this query fails, nothing waits for it.
        this.settled(id);
        reject(err);
      }
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.failure) return resolve();
      this.thread.ref();
      this.thread.once('exit', () => resolve());
      this.thread.once('message', (reply: ThreadReply) => {
        if (reply.type === 'closed') void this.thread.terminate();
      });
      this.thread.postMessage({ type: 'close' } satisfies ThreadRequest);
    });
    return this.closing;
  }

  private answer(reply: ThreadReply): void {
    if (reply.type === 'closed') return;
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    this.settled(reply.id);
    if (reply.type === 'rows') waiting.resolve({ rows: reply.rows, affectedRows: reply.affectedRows });
    else waiting.reject(Object.assign(new Error(String(reply.error.message)), reply.error));
  }

  private settled(id: number): void {
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.thread.unref();
  }

  /** The thread is gone: what waits, and whatever asks from now on, fails (the worker answers `overloaded`). */
  private fail(err: Error): void {
    this.failure ??= err;
    for (const [id, waiting] of this.waiting) {
      this.settled(id);
      waiting.reject(this.failure);
    }
  }
}
