import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '@authgate/shared/errors';
import type { Accounts } from '../accounts.ts';
import type { AccessTokenAuth } from '../auth.ts';
import type { RouteRateLimiter } from '../rate-limit.ts';
import { checkEmailAnswer, checkEmailQuery, emailParams, errorAnswer, publicUser } from '../schemas.ts';
import { toPublicUser } from '../public-user.ts';

export function registerUserRoutes(app: FastifyInstance, deps: { users: Accounts; auth: AccessTokenAuth; checkEmailLimiter: RouteRateLimiter }): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/users/check-email',
    {
      schema: {
        operationId: 'api_check_email',
        tags: ['users'],
        summary: 'Whether an account uses this email',
        description: 'Rate-limited tightly per client IP (CHECK_EMAIL_PER_MINUTE), since it tells whether an account exists.',
        querystring: checkEmailQuery,
        response: { 200: checkEmailAnswer, 400: errorAnswer, 429: errorAnswer, 503: errorAnswer },
      },
      // Before validation: malformed lookups count against the limit too.
      onRequest: deps.checkEmailLimiter.hook,
    },
    async (request) => ({ exists: await deps.users.emailExists(request.query.email) }),
  );

  typed.get(
    '/users/by-email/:email',
    {
      schema: {
        operationId: 'api_user_by_email',
        tags: ['admin'],
        summary: 'A user by email (administrators only)',
        description: 'Requires an access token whose subject is listed in ADMIN_USER_IDS.',
        security: [{ bearerAuth: [] }],
        params: emailParams,
        response: { 200: publicUser, 400: errorAnswer, 401: errorAnswer, 403: errorAnswer, 404: errorAnswer, 503: errorAnswer },
      },
      onRequest: deps.auth.requireAdmin,
    },
    async (request) => {
      const user = await deps.users.findByEmail(request.params.email);
      if (!user) throw new AppError('not_found', 'no user with this email');
      return toPublicUser(user);
    },
  );
}
