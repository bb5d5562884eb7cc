import type { UserRecord } from '@authgate/shared/db/users';
import type { PublicUser } from './schemas.ts';

/** Picks the public fields by name: a new column on the record never reaches an answer by itself. */
export function toPublicUser(user: Pick<UserRecord, 'id' | 'email' | 'createdAt' | 'emailVerifiedAt'>): PublicUser {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    // No second factor exists yet: this turns true with TOTP.
    mfaEnabled: false,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}
