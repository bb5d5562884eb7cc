import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '@authgate/shared/errors';
import type { Accounts } from '../accounts.ts';
import type { AccessTokenAuth } from '../auth.ts';
import { toPublicUser } from '../public-user.ts';
import { z } from 'zod';
import { errorAnswer, publicUser } from '../schemas.ts';

/** GET /auth/me adds what only the user themself sees about their account. */
const meAnswer = publicUser.extend({ mfaEnabled: z.boolean().describe('TOTP is on: a login asks for a code') });

export function registerMeRoute(app: FastifyInstance, deps: { users: Accounts; auth: AccessTokenAuth }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/auth/me',
    {
      schema: {
        operationId: 'api_me',
        tags: ['account'],
        summary: 'The user of the presented access token',
        security: [{ bearerAuth: [] }],
        response: { 200: meAnswer, 401: errorAnswer, 503: errorAnswer },
      },
      onRequest: deps.auth.requireUser,
    },
    async (request) => {
      const user = await deps.users.findById(request.accessToken!.sub);
      // A valid signature for a user that no longer exists is still not a usable token.
      if (!user) throw new AppError('invalid_token', 'access token is invalid or expired');
      return { ...toPublicUser(user), mfaEnabled: await deps.users.mfaEnabled(user.id) };
    },
  );
}
