import bcrypt from 'bcrypt';
import { BCRYPT_MAX_BYTES } from '@authgate/shared/protocol';

/**
 * bcrypt through its async API: each hash runs on libuv's thread pool, sized to the cores given to
 * the worker (UV_THREADPOOL_SIZE), so the event loop stays free for queue and Redis traffic.
 */
export class PasswordHasher {
  private constructor(readonly cost: number, private readonly dummyHash: string) {}

  /** The dummy hash has the configured cost, so checking an unknown email costs what a real check does. */
  static async create(cost: number): Promise<PasswordHasher> {
    return new PasswordHasher(cost, await bcrypt.hash('authgate-dummy-password', cost));
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  /**
   * Verifies against the stored hash, or against the dummy when there is no user: either way one full
   * bcrypt compare runs, so timing does not tell an unknown email from a wrong password.
   */
  async verify(password: string, storedHash: string | undefined): Promise<boolean> {
    // Registration refuses passwords over 72 bytes; bcrypt would compare only their first 72 bytes.
    const tooLong = Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES;
    const matches = await bcrypt.compare(password, storedHash ?? this.dummyHash);
    return matches && storedHash !== undefined && !tooLong;
  }

  needsRehash(storedHash: string): boolean {
    return bcrypt.getRounds(storedHash) < this.cost;
  }
}
