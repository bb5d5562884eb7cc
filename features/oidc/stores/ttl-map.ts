/** Values that each live until their own expiry (seconds from now; none: until deleted), swept by a timer. */
export class TtlMap {
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(sweepMs = 30_000) {
    this.timer = setInterval(() => this.sweep(), sweepMs).unref();
  }

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  set(key: string, value: unknown, ttlSeconds?: number): void {
    this.entries.set(key, { value, expiresAt: expiry(ttlSeconds) });
  }

  /** Keeps the later of the two expiries (a grant's index lives as long as its longest-lived token). */
  extend(key: string, ttlSeconds?: number): void {
    const entry = this.entries.get(key);
    if (entry) entry.expiresAt = Math.max(entry.expiresAt, expiry(ttlSeconds));
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

function expiry(ttlSeconds: number | undefined): number {
  return typeof ttlSeconds === 'number' && ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY;
}
