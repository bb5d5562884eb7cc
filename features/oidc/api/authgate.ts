import { decodeJwt } from 'jose';
import { verifyAccessToken, type AccessTokenRules } from '@authgate/shared/access-token';
import type { UserRepository } from '@authgate/shared/db/users';
import { AppError } from '@authgate/shared/errors';
import type { VerificationKeys } from '@authgate/shared/keys';
import type { SessionRevocations } from '@authgate/shared/security/revocations';
import type { SessionDirectory } from '@authgate/features/sessions/stores/directory';
import { endSession, type SessionEnding } from '@authgate/features/sessions/end-session';
import type { SessionStore } from '@authgate/features/sessions/stores/sessions';

/** How the person signed in to authgate, as the OpenID layer hands it to the provider. */
export interface AuthgateSignIn {
  /** The authgate user id: the OpenID `sub`. */
  sub: string;
  /** The authgate session: the OpenID `sid`. */
  sid: string;
  /** `pwd`, `otp`, `hwk` (RFC 8176). */
  amr: string[];
  /** When the person authenticated (seconds), not when this token was issued: a refresh keeps it. */
  authTime: number;
}

export interface AuthgateUser {
  id: string;
  email: string;
  emailVerified: boolean;
  disabled: boolean;
}

/** The methods of RFC 8176 that authgate's sign-ins use. */
const KNOWN_AMR = new Set(['pwd', 'otp', 'hwk', 'mfa', 'user']);

/**
 * What the OpenID layer asks of the gateway, from the account API's own drivers: it never checks a
 * password, it believes an access token the gateway signed, for a session the gateway still holds.
 */
export class AuthgateAccounts {
  constructor(
    private readonly deps: {
      keys: VerificationKeys;
      rules: AccessTokenRules;
      revocations: Pick<SessionRevocations, 'isRevoked'>;
      sessions: SessionStore;
      directory: SessionDirectory;
      users: UserRepository;
      sessionEnding: SessionEnding;
    },
  ) {}

  /**
   * The sign-in an access token stands for, after these checks: the token itself (signature by the
   * gateway's public keys, algorithm, issuer, audience, expiry, lifetime: verifyAccessToken), its
   * session not revoked (the broadcast every edge follows) and still held by the session store for the
   * token's subject (a revoked session's token verifies until its `exp`). Any failure: `invalid_token`.
   */
  async signIn(accessToken: string): Promise<AuthgateSignIn> {
    const claims = await verifyAccessToken(accessToken, this.deps.keys, this.deps.rules);
    if (this.deps.revocations.isRevoked(claims.sid)) throw new AppError('invalid_token', 'access token is invalid or expired');
    const owner = await this.read(() => this.deps.sessions.peek(claims.sid));
    if (owner?.userId !== claims.sub) throw new AppError('invalid_token', 'access token is invalid or expired');
    // Verified above: these optional claims come from the same signed payload.
    const payload = decodeJwt(accessToken);
    const amr =
      Array.isArray(payload.amr) && payload.amr.length > 0 && payload.amr.every((m) => typeof m === 'string' && KNOWN_AMR.has(m)) ? payload.amr : undefined;
    const authTime = typeof payload.auth_time === 'number' && Number.isSafeInteger(payload.auth_time) ? payload.auth_time : undefined;
    return {
      sub: claims.sub,
      sid: claims.sid,
      amr: (amr as string[] | undefined) ?? ['pwd'],
      authTime: authTime ?? (await this.sessionStart(claims.sub, claims.sid, claims.iat)),
    };
  }

  /** A session that does not say when its sign-in was: the session's creation stands in for it. */
  private async sessionStart(userId: string, sid: string, issuedAt: number): Promise<number> {
    const session = (await this.read(() => this.deps.directory.list(userId))).find((s) => s.id === sid);
    return session ? Math.floor(session.createdAt / 1000) : issuedAt;
  }

  /** The session is still held by the gateway: not ended, not expired. */
  async sessionAlive(sid: string): Promise<boolean> {
    return (await this.read(() => this.deps.sessions.peek(sid))) !== undefined;
  }

  async user(id: string): Promise<AuthgateUser | undefined> {
    const record = await this.read(() => this.deps.users.findById(id));
    return record && { id: record.id, email: record.email, emailVerified: record.emailVerifiedAt !== null, disabled: record.disabledAt !== null };
  }

  /** RP-initiated logout: the authgate session behind it ends as a sign-out does. */
  async endSession(sid: string): Promise<string | undefined> {
    const owner = await this.read(() => this.deps.sessions.peek(sid));
    if (!owner) return undefined;
    await endSession(this.deps.sessionEnding, owner.userId, sid, 'logout');
    return owner.userId;
  }

  /** A store that does not answer is `overloaded` (retry later), never a 500 naming it. */
  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch {
      throw new AppError('overloaded', 'a dependency is unavailable, retry later');
    }
  }
}
