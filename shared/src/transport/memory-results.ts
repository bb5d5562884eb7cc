import type { Result } from '../protocol.ts';
import { RESULT_TTL_MS, type ResultBus, type ResultHandler } from './types.ts';

/**
 * In-process driver of ResultBus for the all-in-one mode: the same keep-once-and-publish semantics and
 * 60 s retention as Redis. Handlers run on a later tick, as they would after a network hop.
 */
export class MemoryResultBus implements ResultBus {
  /** A result taken by its client stays as `undefined` until its expiry: a redelivery cannot keep another. */
  private readonly kept = new Map<string, { result: Result | undefined; expiresAt: number }>();
  private readonly handlers = new Map<string, ResultHandler>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly ttlMs = RESULT_TTL_MS) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(ttlMs, 5_000));
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = Date.now();
    // Insertion order is expiry order (one TTL for all), so the scan stops at the first live entry.
    for (const [id, entry] of this.kept) {
      if (entry.expiresAt > now) break;
      this.kept.delete(id);
    }
  }

  async deliver(result: Result): Promise<boolean> {
    const existing = this.kept.get(result.requestId);
    if (existing && existing.expiresAt > Date.now()) return false;
    this.kept.delete(result.requestId); // re-insert at the end to keep expiry order
    this.kept.set(result.requestId, { result, expiresAt: Date.now() + this.ttlMs });
    const handler = this.handlers.get(result.replyTo.nodeId);
    if (handler) setImmediate(handler, result);
    return true;
  }

  async subscribe(nodeId: string, onResult: ResultHandler): Promise<void> {
    if (this.handlers.has(nodeId)) throw new Error(`node ${nodeId} already has a subscriber`);
    this.handlers.set(nodeId, onResult);
  }

  async collect(_nodeId: string, requestIds: string[]): Promise<Result[]> {
    const now = Date.now();
    const found: Result[] = [];
    for (const id of requestIds) {
      const entry = this.kept.get(id);
      if (entry?.result && entry.expiresAt > now) found.push(entry.result);
    }
    return found;
  }

  async answered(_nodeId: string, requestId: string): Promise<boolean> {
    const entry = this.kept.get(requestId);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  async take(requestId: string, connectionId: string): Promise<Result | undefined> {
    const entry = this.kept.get(requestId);
    if (!entry?.result || entry.expiresAt <= Date.now() || entry.result.replyTo.connectionId !== connectionId) return undefined;
    const { result } = entry;
    entry.result = undefined;
    return result;
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.handlers.clear();
  }
}
