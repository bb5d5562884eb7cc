import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '@authgate/shared/errors';
import { INTERACTION_PATH, interactionAnswer, interactionConsentBody, interactionDetails, interactionLoginBody, interactionPageUrl } from '../../contract.ts';
import type { OidcLayer } from '../layer.ts';

/** Enough for an access token (about 1 KiB) and its JSON; the API's default limit is 1 KiB. */
const LOGIN_BODY_LIMIT_BYTES = 8 * 1024;

const uidParams = z.object({
  uid: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be an interaction id'),
});

/**
 * The provider's "interaction": it sends the browser to `/oidc/interaction/:uid` with a signed cookie
 * scoped to that path. The person signs in on authgate's own page (the edge serves it); the page asks
 * what the interaction needs, hands over the access token of the session it signed in, or the
 * person's Allow/Deny, and follows `redirectTo` back to the provider. The OpenID layer never sees a
 * password.
 */
export function registerInteractionRoutes(app: FastifyInstance, oidc: OidcLayer, errorAnswer: z.ZodType): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const errors = (codes: Record<number, string>) =>
    Object.fromEntries(Object.entries(codes).map(([status, description]) => [status, errorAnswer.describe(description)]));

  typed.get(
    `${INTERACTION_PATH}/:uid`,
    {
      schema: {
        operationId: 'oidc_interaction',
        tags: ['openid'],
        summary: 'Where the provider sends the browser to sign in',
        description:
          "303 to authgate's page (`/sign-in/oidc?interaction=<uid>`) that signs the person in and hands the interaction its access token; a first-party client's consent is granted here and the browser goes straight back to the provider. Needs the interaction cookie the provider set.",
        params: uidParams,
        response: { 303: z.null().describe('See Other: the page, or back to the provider'), ...errors({ 400: '`invalid_request`', 503: '`overloaded`' }) },
      },
    },
    async (request, reply) => {
      let next: string | undefined;
      try {
        next = await oidc.consentWithoutPage(request.params.uid, request.raw, reply.raw);
      } catch (err) {
        // An expired or foreign interaction: the page says so in words (its details call answers 404).
        if (!(err instanceof AppError && err.code === 'not_found')) throw err;
      }
      return reply.redirect(next ?? interactionPageUrl(request.params.uid), 303);
    },
  );

  typed.get(
    `${INTERACTION_PATH}/:uid/details`,
    {
      schema: {
        operationId: 'oidc_interaction_details',
        tags: ['openid'],
        summary: 'What the interaction needs: a sign-in, or consent',
        description: 'For the page. Needs the interaction cookie the provider set.',
        params: uidParams,
        response: { 200: interactionDetails, ...errors({ 400: '`invalid_request`', 404: '`not_found`: expired, or another browser', 503: '`overloaded`' }) },
      },
    },
    async (request, reply) => oidc.details(request.params.uid, request.raw, reply.raw),
  );

  typed.post(
    `${INTERACTION_PATH}/:uid/login`,
    {
      bodyLimit: LOGIN_BODY_LIMIT_BYTES,
      schema: {
        operationId: 'oidc_interaction_login',
        tags: ['openid'],
        summary: 'Finish the sign-in with an access token of the authgate session',
        description:
          "The page signed the person in (password, second factor, new-device approval, passkey: any way the gateway offers) and hands the session's access token over; the provider continues with that account, session (`sid`), `amr` and `auth_time`. For `prompt=login` or `max_age` the sign-in must be that recent.",
        params: uidParams,
        body: interactionLoginBody,
        response: {
          200: interactionAnswer,
          ...errors({
            400: '`invalid_request`: not a sign-in step now',
            401: '`invalid_token`: the token does not verify, its session ended, or the sign-in is not recent enough',
            403: '`account_disabled`',
            404: '`not_found`: expired, or another browser',
            415: '`unsupported_media_type`',
            503: '`overloaded`',
          }),
        },
      },
    },
    async (request, reply) => ({
      redirectTo: await oidc.login(
        request.params.uid,
        request.body.accessToken,
        { raw: request.raw, ip: request.ip, userAgent: request.headers['user-agent'] },
        reply.raw,
      ),
    }),
  );

  typed.post(
    `${INTERACTION_PATH}/:uid/consent`,
    {
      schema: {
        operationId: 'oidc_interaction_consent',
        tags: ['openid'],
        summary: 'Allow or deny a client what it asks for',
        description: '`allow` grants the missing scopes; `deny` sends the client `error=access_denied`.',
        params: uidParams,
        body: interactionConsentBody,
        response: {
          200: interactionAnswer,
          ...errors({
            400: '`invalid_request`: not a consent step now',
            404: '`not_found`: expired, or another browser',
            415: '`unsupported_media_type`',
            503: '`overloaded`',
          }),
        },
      },
    },
    async (request, reply) => ({ redirectTo: await oidc.consent(request.params.uid, request.body.decision, request.raw, reply.raw) }),
  );
}
