import bcrypt from 'bcrypt';
import { BCRYPT_MAX_BYTES } from '@authgate/shared/protocol';

/** Told when a bcrypt job goes to the thread pool; the function it returns, when the job is done. */
export interface BcryptObserver {
  started(op: 'hash' | 'compare'): () => void;
}

/**
 * bcrypt through its async API: each hash runs on libuv's thread pool, sized to the cores given to
 * the worker (UV_THREADPOOL_SIZE), so the event loop stays free for queue and Redis traffic.
 */
export class PasswordHasher {
  private constructor(
    readonly cost: number,
    private readonly dummyHash: string,
    private readonly observer: BcryptObserver | undefined,
  ) {}

  /** The dummy hash has the configured cost, so checking an unknown email costs what a real check does. */
  static async create(cost: number, observer?: BcryptObserver): Promise<PasswordHasher> {
    return new PasswordHasher(cost, await bcrypt.hash('authgate-dummy-password', cost), observer);
  }

  hash(password: string): Promise<string> {
    return this.measured('hash', bcrypt.hash(password, this.cost));
  }

  private measured<T>(op: 'hash' | 'compare', job: Promise<T>): Promise<T> {
    if (!this.observer) return job;
    const done = this.observer.started(op);
    return job.finally(done);
  }

  /**
   * Verifies against the stored hash, or against the dummy when there is no user: either way one full
   * bcrypt compare runs, so timing does not tell an unknown email from a wrong password.
   */
  async verify(password: string, storedHash: string | undefined): Promise<boolean> {
    // Registration refuses passwords over 72 bytes; bcrypt would compare only their first 72 bytes.
    const tooLong = Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES;
    const matches = await this.measured('compare', bcrypt.compare(password, storedHash ?? this.dummyHash));
    return matches && storedHash !== undefined && !tooLong;
  }

  needsRehash(storedHash: string): boolean {
    return bcrypt.getRounds(storedHash) < this.cost;
  }
}
