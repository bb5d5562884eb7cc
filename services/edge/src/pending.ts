interface Entry<T> {
  target: T;
  deadline: number;
}

/**
 * Requests this node accepted and still owes an answer. Bounded: when full the edge answers
 * `overloaded` at once. Every entry has the same timeout, so insertion order is deadline order and
 * one sweep timer expires them from the front: no timer per request.
 */
export class PendingRequests<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly capacity: number,
    private readonly timeoutMs: number,
    private readonly onTimeout: (requestId: string, target: T) => void,
  ) {
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.max(10, Math.min(100, timeoutMs / 10)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  get full(): boolean {
    return this.entries.size >= this.capacity;
  }

  /** Returns the request's deadline. Callers check `full` first. */
  add(requestId: string, target: T): number {
    const deadline = Date.now() + this.timeoutMs;
    this.entries.set(requestId, { target, deadline });
    return deadline;
  }

  /** Removes and returns the entry: whoever takes it is the only one to answer. */
  take(requestId: string): T | undefined {
    const entry = this.entries.get(requestId);
    if (!entry) return undefined;
    this.entries.delete(requestId);
    return entry.target;
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  expire(now: number): void {
    for (const [requestId, entry] of this.entries) {
      if (entry.deadline > now) break;
      this.entries.delete(requestId);
      this.onTimeout(requestId, entry.target);
    }
  }

  /** Answers every entry now (shutdown): nothing accepted is left without an answer. */
  drain(): void {
    this.expire(Number.POSITIVE_INFINITY);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
