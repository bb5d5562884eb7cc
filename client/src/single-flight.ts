/**
 * Runs `work` at most once at a time: in this realm by sharing the promise in flight, and across the
 * tabs of a browser by the Web Locks API where there is one (navigator.locks: secure contexts only).
 * A tab that waited for the lock re-reads the shared store first, so it adopts the pair the other tab
 * got instead of spending the refresh token that tab already spent.
 */
export class SingleFlight<T> {
  private inFlight: Promise<T> | undefined;

  constructor(private readonly lockName: string) {}

  /** `work(waited)`: `waited` is true when another tab held the lock first (it may have just refreshed). */
  run(work: (waited: boolean) => Promise<T>): Promise<T> {
    if (this.inFlight) return this.inFlight;
    const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
    const guarded = locks ? this.underLock(locks, work) : work(false);
    this.inFlight = guarded.finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async underLock(locks: LockManagerLike, work: (waited: boolean) => Promise<T>): Promise<T> {
    const taken = await locks.request(this.lockName, { ifAvailable: true }, (lock) => (lock ? work(false).then((value) => ({ value })) : null));
    if (taken) return taken.value;
    return locks.request(this.lockName, {}, () => work(true));
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }
}

interface LockManagerLike {
  request<R>(name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown) => Promise<R> | R): Promise<R>;
}
