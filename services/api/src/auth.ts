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
 * check), then refused if their session was revoked (logout, refresh-token reuse) as the edges do. An admin is a user whose id (the token's `sub`) is listed in ADMIN_USER_IDS: the rule lives
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
    if (!this.adminUserIds.has(request.accessToken!.sub)) throw new AppError('forbidden', 'this route is for administrators');
  };
}
