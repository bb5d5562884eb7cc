import type { FastifyRequest } from 'fastify';
import { bearerToken, verifyAccessToken, type AccessTokenClaims, type AccessTokenRules } from '@authgate/shared/access-token';
import { AppError } from '@authgate/shared/errors';
import type { VerificationKeys } from '@authgate/shared/keys';
import type { SessionRevocations } from '@authgate/shared/security/revocations';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token of a route that requires one; set by its onRequest hook. */
    accessToken: AccessTokenClaims | null;
  }
}

/**
 * Bearer access tokens, checked with the public keys only (shared's verifyAccessToken names every
 * check), then refused if their session was revoked (logout, refresh-token reuse) as the edges do. An admin is a user whose id (the token's `sub`) is listed in ADMIN_USER_IDS, or whose verified email is in ADMIN_EMAILS: the rule lives
 * in configuration, so granting or revoking it needs no token re-issue beyond the token's own lifetime.
 * The hooks run on onRequest, before validation, so a caller without the right token learns nothing
 * about what it sent.
 */
export class AccessTokenAuth {
  constructor(
    private readonly keys: VerificationKeys,
    private readonly rules: AccessTokenRules,
    private readonly adminUserIds: ReadonlySet<string>,
    private readonly revocations: Pick<SessionRevocations, 'isRevoked'>,
    /** ADMIN_EMAILS (lower case), and how to read a user's address and whether it is verified. */
    private readonly adminEmails: ReadonlySet<string> = new Set(),
    private readonly userOf: (id: string) => Promise<{ email: string; emailVerifiedAt: Date | null } | undefined> = async () => undefined,
  ) {}

  /** onRequest hook: 401 `invalid_token` unless a valid access token is presented. */
  readonly requireUser = async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new AppError('invalid_token', 'missing or malformed Bearer token');
    const claims = await verifyAccessToken(token, this.keys, this.rules);
    if (this.revocations.isRevoked(claims.sid)) throw new AppError('invalid_token', 'access token is invalid or expired');
    request.accessToken = claims;
  };

  /** onRequest hook: as requireUser, then 403 `forbidden` unless the token's user is an admin. */
  readonly requireAdmin = async (request: FastifyRequest): Promise<void> => {
    await this.requireUser(request);
    if (!(await this.isAdmin(request.accessToken!.sub))) throw new AppError('forbidden', 'this route is for administrators');
  };

  /**
   * Listed by id (ADMIN_USER_IDS), or by address (ADMIN_EMAILS) once the owner has proved it: an
   * address anyone could register is worth nothing until its mailbox answered a verification link.
   */
  private async isAdmin(userId: string): Promise<boolean> {
    if (this.adminUserIds.has(userId)) return true;
    if (this.adminEmails.size === 0) return false;
    const user = await this.userOf(userId);
    return user !== undefined && user.emailVerifiedAt !== null && this.adminEmails.has(user.email.toLowerCase());
  }
}
