import type { TotpRepository } from '@authgate/features/second-factor/stores/db-totp';
import type { UserRecord, UserRepository } from '@authgate/shared/db/users';
import { AppError } from '@authgate/shared/errors';
import type { Logger } from '@authgate/shared/logger';

/**
 * The reads the account API makes, with one rule for failure: if PostgreSQL does not answer, the
 * client gets 503 `overloaded` (a dependency is down, retry later), not a 500; the cause is logged here.
 */
export class Accounts {
  constructor(
    private readonly users: UserRepository,
    private readonly log: Logger,
    private readonly totp: TotpRepository,
  ) {}

  emailExists(email: string): Promise<boolean> {
    return this.read(() => this.users.emailExists(email));
  }

  findByEmail(email: string): Promise<UserRecord | undefined> {
    return this.read(() => this.users.findByEmail(email));
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return this.read(() => this.users.findById(id));
  }

  /** TOTP is on (confirmed): read from the row, without the key that opens its secret. */
  mfaEnabled(id: string): Promise<boolean> {
    return this.read(() => this.totp.isEnabled(id));
  }

  /** TOTP off (the secret and the recovery codes go): true when it was on. */
  turnOffTotp(id: string): Promise<boolean> {
    return this.read(() => this.totp.remove(id));
  }

  setDisabled(id: string, at: Date | null): Promise<boolean> {
    return this.read(() => this.users.setDisabled(id, at));
  }

  ping(): Promise<boolean> {
    return this.users.ping();
  }

  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      this.log.warn({ err }, 'user database read failed');
      throw new AppError('overloaded', 'user database unavailable, retry later');
    }
  }
}
