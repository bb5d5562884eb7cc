import { z } from 'zod';

export * from './paths.ts';

/**
 * The OpenID Connect feature's contract: its fixed names (paths.ts) and the shapes of its own JSON
 * routes. Edges import only this folder's contract and paths: the provider, its keys and its stores
 * load in the account API alone.
 */

/** What the page is told of an interaction (GET /oidc/interaction/:uid/details). */
export const interactionDetails = z.object({
  uid: z.string(),
  prompt: z.enum(['login', 'consent']).describe('login: sign in, then hand the access token over; consent: Allow or Deny'),
  client: z.object({ id: z.string(), name: z.string(), firstParty: z.boolean() }),
  scopes: z.array(z.string()).describe('consent only: what the client asks for that was never granted'),
  freshSignIn: z.boolean().describe('login only: the client asked for a new sign-in (prompt=login, or max_age passed): an existing session does not count'),
  loginHint: z.string().optional(),
});
export type InteractionDetails = z.infer<typeof interactionDetails>;

export const interactionLoginBody = z.strictObject({
  accessToken: z.string().min(16).max(4096).describe("An access token of the person's authgate session, from any sign-in of the page"),
});

export const interactionConsentBody = z.strictObject({ decision: z.enum(['allow', 'deny']) });

/** Where the page goes next: back to the provider, which redirects to the client. */
export const interactionAnswer = z.object({ redirectTo: z.string() });

/** RFC 7591 client metadata an administrator registers; `client_id` and `client_secret` are made by the server. */
export const clientRegistration = z
  .looseObject({
    client_name: z.string().max(200).optional(),
    redirect_uris: z.array(z.string().max(2000)).max(50).optional(),
    post_logout_redirect_uris: z.array(z.string().max(2000)).max(50).optional(),
    backchannel_logout_uri: z.string().max(2000).optional(),
    grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).optional(),
    response_types: z.array(z.enum(['code'])).optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']).optional(),
    scope: z.string().max(200).optional(),
    first_party: z.boolean().optional().describe('true: no consent screen for this client'),
  })
  .superRefine((metadata, ctx) => {
    for (const generated of ['client_id', 'client_secret'])
      if (generated in metadata) ctx.addIssue({ code: 'custom', path: [generated], message: 'is made by the server, not sent' });
  });

export const registeredClient = z.looseObject({
  client_id: z.string(),
  client_secret: z.string().optional().describe('Confidential clients only; shown in this answer only'),
});

export const clientList = z.object({
  clients: z.array(z.looseObject({ client_id: z.string(), source: z.enum(['OIDC_CLIENTS', 'admin']) })),
});
