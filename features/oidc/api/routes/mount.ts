import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { DISCOVERY_PATH, OIDC_ROUTES } from '../../contract.ts';
import type { OidcLayer } from '../layer.ts';

const DISCOVERY_LINK = `Described by the discovery document (GET ${DISCOVERY_PATH}) and by OpenID Connect Core 1.0 / OAuth 2.0; answers and errors are the standard's (\`{error, error_description}\`), not authgate's error object.`;

/**
 * The provider's endpoints, each one named (nothing under /oidc answers that is not listed here). The
 * OpenAPI document describes them briefly and links to discovery, which describes them fully. A CORS
 * preflight is answered where a browser sends one to the provider: the token endpoint (public clients)
 * and userinfo (a Bearer header); the others take simple requests.
 */
/** `name` makes each operation's operationId: `oidc_<name>`, and `oidc_<name>_<method>` where one path takes several methods. */
const ENDPOINTS: ReadonlyArray<{ name: string; path: string; methods: HTTPMethods[]; summary: string }> = [
  { name: 'discovery', path: DISCOVERY_PATH, methods: ['GET'], summary: 'OpenID Provider metadata (issuer = PUBLIC_URL, every endpoint below)' },
  {
    name: 'authorization',
    path: OIDC_ROUTES.authorization,
    methods: ['GET'],
    summary: 'Authorization endpoint: code flow with PKCE (S256); sends the browser to sign in on authgate',
  },
  {
    name: 'authorization_resume',
    path: `${OIDC_ROUTES.authorization}/:uid`,
    methods: ['GET'],
    summary: 'Where the browser returns after signing in or consenting',
  },
  {
    name: 'token',
    path: OIDC_ROUTES.token,
    methods: ['POST', 'OPTIONS'],
    summary: 'Token endpoint: authorization_code, refresh_token (rotating), client_credentials',
  },
  { name: 'userinfo', path: OIDC_ROUTES.userinfo, methods: ['GET', 'POST', 'OPTIONS'], summary: 'UserInfo endpoint' },
  { name: 'jwks', path: OIDC_ROUTES.jwks, methods: ['GET'], summary: "The provider's public keys (ID and logout tokens)" },
  { name: 'revocation', path: OIDC_ROUTES.revocation, methods: ['POST'], summary: 'Token revocation (RFC 7009)' },
  { name: 'introspection', path: OIDC_ROUTES.introspection, methods: ['POST'], summary: 'Token introspection (RFC 7662)' },
  { name: 'end_session', path: OIDC_ROUTES.end_session, methods: ['GET'], summary: 'RP-initiated logout: asks the person to confirm' },
  {
    name: 'end_session_confirm',
    path: `${OIDC_ROUTES.end_session}/confirm`,
    methods: ['POST'],
    summary: 'RP-initiated logout: the confirmation form posts here',
  },
  {
    name: 'end_session_success',
    path: `${OIDC_ROUTES.end_session}/success`,
    methods: ['GET'],
    summary: 'RP-initiated logout without a post-logout redirect URI: "You are signed out"',
  },
];

/**
 * oidc-provider (a Koa app) inside the account API, on the same origin. It reads its own bodies from
 * the raw stream (form or JSON, up to 56 KiB), so these routes sit in a plugin whose content-type
 * parser reads nothing; the handler hijacks the reply and hands the raw request to the provider.
 * Fastify's onRequest hooks still run (helmet's headers reach the provider's answers; the metrics hook
 * sees `finish`); onSend and the contract's error object do not: OAuth endpoints answer OAuth errors.
 */
export async function mountProvider(app: FastifyInstance, oidc: OidcLayer): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const issuer = new URL((await oidc.provider()).issuer);
      const raw = request.raw;
      // The provider names its endpoints and marks its cookies Secure by the request it sees (Koa's
      // proxy headers): it is made to see PUBLIC_URL's origin, whatever Host a client sent, and the
      // client address the API resolved (TRUSTED_PROXIES).
      raw.headers['x-forwarded-host'] = issuer.host;
      raw.headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
      raw.headers['x-forwarded-for'] = request.ip;
      reply.hijack();
      await oidc.callback(raw, reply.raw);
    };
    // One route per method: an operationId names one operation, and Fastify gives a route's methods one schema.
    for (const endpoint of ENDPOINTS) {
      for (const method of endpoint.methods) {
        const operationId = endpoint.methods.length === 1 ? `oidc_${endpoint.name}` : `oidc_${endpoint.name}_${method.toLowerCase()}`;
        scope.route({ method, url: endpoint.path, schema: { operationId, tags: ['openid'], summary: endpoint.summary, description: DISCOVERY_LINK }, handler });
      }
    }
  });
}
