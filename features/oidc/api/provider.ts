import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '@authgate/shared/logger';
import { INTERACTION_PATH, OIDC_ROUTES, OIDC_SCOPES } from '../contract.ts';
import { hashSecret, isHashedSecret, secretMatches, type ClientMetadata, type ClientStore } from '../stores/clients.ts';
import type { SessionLinks } from '../stores/links.ts';
import type { AdapterFactory, Payload } from '../stores/types.ts';
import type { AuthgateAccounts } from './authgate.ts';
import { allowFormTargets } from './csp.ts';
import type { OidcKeys } from './keys.ts';
import { escapeHtml, plainPage } from './pages.ts';

export interface ProviderOptions {
  /** PUBLIC_URL: the issuer. Every endpoint is on its origin. */
  issuer: string;
  /** OIDC_CLIENTS as configured (secrets in clear; hashed before the provider sees them). */
  staticClients: ClientMetadata[];
  adapter: AdapterFactory;
  clients: ClientStore;
  links: SessionLinks;
  accounts: AuthgateAccounts;
  keys: OidcKeys;
  /** ACCESS_TOKEN_TTL_S and REFRESH_TOKEN_TTL_S: the OpenID tokens live as long as the gateway's own. */
  accessTokenTtlS: number;
  sessionTtlS: number;
  /** OIDC_PRIVATE_BACKCHANNEL_ORIGINS. */
  privateBackchannelOrigins: readonly string[];
  log: Logger;
}

/** A client's own flag (extraClientMetadata): no consent screen for it. */
export function isFirstParty(client: unknown): boolean {
  return (client as { first_party?: unknown } | undefined)?.first_party === true;
}

export function hashStaticClients(clients: readonly ClientMetadata[]): ClientMetadata[] {
  return clients.map((client) =>
    client.client_secret && !isHashedSecret(client.client_secret) ? { ...client, client_secret: hashSecret(client.client_secret) } : client,
  );
}

/** The provider's read-only view of the administrators' clients: it never writes one. */
function clientAdapter(store: ClientStore) {
  const refused = async () => {
    throw new Error('clients are managed through the admin routes, not by the provider');
  };
  return {
    find: async (id: string) => (await store.find(id)) as Payload | undefined,
    upsert: refused,
    destroy: refused,
    consume: refused,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    revokeByGrantId: async () => undefined,
  };
}

/** Every decision the OpenID layer makes about oidc-provider is here. */
export function buildProvider(options: ProviderOptions): Provider {
  const { accounts, links } = options;
  const privateOrigins = new Set(options.privateBackchannelOrigins);

  // "A browser already signed in continues at once" only while the authgate session behind the
  // provider session lives. Its end normally destroys the provider session (session-end.ts); this
  // check also covers an end that reached no process: the person signs in again (login_required
  // for prompt=none).
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    // The error is named: a check added after the prompt was built gets no default (interaction_required).
    new Check('authgate_session_ended', 'the authgate session behind this sign-in has ended', 'login_required', async (ctx) => {
      const { session, result } = ctx.oidc;
      if (!session?.accountId || result?.login) return Check.NO_NEED_TO_PROMPT;
      const sid = await links.sidOf(session.uid);
      return sid && (await accounts.sessionAlive(sid)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  const configuration: Configuration = {
    // The provider's fetch refuses private and loopback addresses (its SSRF guard, an undici
    // dispatcher). An origin listed in OIDC_PRIVATE_BACKCHANNEL_ORIGINS goes without it: an RP on the
    // internal network. Every other one keeps the guard.
    fetch: (url: string | URL | Request, init?: RequestInit) => {
      const target = url instanceof Request ? url.url : url;
      if (init && privateOrigins.has(new URL(target).origin)) {
        const { dispatcher: _ssrfGuard, ...rest } = init as RequestInit & { dispatcher?: unknown };
        return globalThis.fetch(url, rest);
      }
      return globalThis.fetch(url, init);
    },
    adapter: ((name: string) => (name === 'Client' ? clientAdapter(options.clients) : options.adapter(name))) as unknown as Configuration['adapter'],
    clients: hashStaticClients(options.staticClients) as Configuration['clients'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      // The logout token names the session (`sid`), as "one session" asks.
      backchannel_logout_session_required: true,
    },
    extraClientMetadata: {
      properties: ['first_party'],
      validator(_ctx, key, value) {
        if (key === 'first_party' && value !== undefined && typeof value !== 'boolean') throw new errors.InvalidClientMetadata('first_party must be a boolean');
      },
    },
    // Secrets are kept as digests (stores/clients.ts): no method that needs the secret itself.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      idTokenSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      introspectionSigningAlgValues: ['RS256'],
      authorizationSigningAlgValues: ['RS256'],
    },
    responseTypes: ['code'],
    // S256 is the only method oidc-provider 9 knows; required for public clients (its default, written out).
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    scopes: [...OIDC_SCOPES],
    claims: {
      // amr and auth_time in every ID token (else only when a client asks for them).
      openid: ['sub', 'auth_time', 'amr'],
      email: ['email', 'email_verified'],
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
    },
    // email and email_verified in the ID token for the email scope, not in userinfo only.
    conformIdTokenClaims: false,
    /**
     * Called for every ID token, userinfo, code exchange, refresh and introspection. A missing or
     * disabled account is no account: its tokens stop working. A token bound to a provider session
     * whose authgate session is gone is refused too, even if the end of that session never reached
     * this process.
     */
    async findAccount(_ctx, id, token) {
      const user = await accounts.user(id);
      if (!user || user.disabled) return undefined;
      const sessionUid = (token as { sessionUid?: string } | undefined)?.sessionUid;
      if (sessionUid) {
        const sid = await links.sidOf(sessionUid);
        if (!sid || !(await accounts.sessionAlive(sid))) return undefined;
      }
      return {
        accountId: user.id,
        async claims() {
          return { sub: user.id, email: user.email, email_verified: user.emailVerified };
        },
      };
    },
    features: {
      // On by default, and it signs in anyone with any password: never.
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A client introspects its own tokens; a confidential client with no grant types (a resource
        // server) any. A public client never learns about another's tokens.
        allowedPolicy: async (_ctx, client, token) =>
          token.clientId === client.clientId || (client.clientAuthMethod !== 'none' && client.grantTypes?.length === 0),
      },
      revocation: {
        enabled: true,
        // Only the client a token was issued to revokes it (others get 200 and nothing happens, RFC 7009).
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          // The form posts to end_session_confirm, which redirects to the client's post-logout URI.
          allowFormTargets(ctx.res, ctx.oidc.client?.postLogoutRedirectUris);
          ctx.body = plainPage(
            'Sign out',
            `<h1>Sign out of authgate?</h1>${form}<p><button autofocus type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button> <button type="submit" form="op.logoutForm">No, stay signed in</button></p>`,
          );
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = plainPage('Signed out', '<h1>You are signed out.</h1>');
        },
      },
      registration: { enabled: false },
      claimsParameter: { enabled: false },
      resourceIndicators: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
    },
    // What the userinfo endpoint and, for public clients, the token endpoint answer cross-origin: the
    // origins of the client's own redirect URIs (the provider's default rule, chosen here on purpose).
    clientBasedCORS(ctx, origin, client) {
      if (origin === 'null') return false;
      if (ctx.oidc.route === 'userinfo' || client.clientAuthMethod === 'none')
        return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
      return false;
    },
    interactions: {
      policy,
      url: async (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
    },
    loadExistingGrant,
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // Always (the default rotates a confidential client's token only near its expiry).
    rotateRefreshToken: true,
    // Every code and token is bound to the provider session, which is bound to the authgate session:
    // its end stops them all, offline_access included (the default keeps those past a logout).
    expiresWithSession: async () => true,
    cookies: {
      keys: options.keys.cookieKeys,
      names: { session: 'oidc_session', interaction: 'oidc_interaction', resume: 'oidc_interaction_resume' },
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    routes: OIDC_ROUTES,
    ttl: {
      AccessToken: options.accessTokenTtlS,
      AuthorizationCode: 60,
      ClientCredentials: options.accessTokenTtlS,
      IdToken: 60 * 60,
      Interaction: 10 * 60,
      RefreshToken: options.sessionTtlS,
      Session: options.sessionTtlS,
      Grant: options.sessionTtlS,
      DeviceCode: 10 * 60,
      BackchannelAuthenticationRequest: 10 * 60,
      PreAuthorizedCode: 10 * 60,
    },
    jwks: { keys: options.keys.jwks as NonNullable<Configuration['jwks']>['keys'] },
    // The provider's own error page: the error and its description, escaped; nothing else.
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = plainPage('Sign-in problem', `<h1>This sign-in cannot go on</h1><p>${escapeHtml(out.error)}: ${escapeHtml(out.error_description ?? '')}</p>`);
    },
  };

  /**
   * Called on every authorization request with a signed-in provider session (and on the resume right
   * after the interaction). It makes the per-client `sid` of ID and logout tokens the authgate session
   * id (the provider draws a random one only while the slot is empty), records the link, and gives a
   * first-party client its grant without a consent screen.
   */
  async function loadExistingGrant(ctx: KoaContextWithOIDC) {
    const { session, client, result } = ctx.oidc;
    const clientId = client!.clientId;
    const signedInWith = (result as { authgate?: { sid?: string } } | undefined)?.authgate?.sid;
    if (signedInWith && result?.login) await links.link(signedInWith, session!.uid, options.sessionTtlS);
    const sid = signedInWith ?? (await links.sidOf(session!.uid));
    if (sid) session!.sidFor(clientId, sid);

    const grantId = (result?.consent as { grantId?: string } | undefined)?.grantId ?? session!.grantIdFor(clientId);
    let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    if (isFirstParty(client)) {
      grant ??= new ctx.oidc.provider.Grant({ clientId, accountId: session!.accountId! });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      await grant.save();
    }
    return grant;
  }

  const provider = new Provider(options.issuer, configuration);
  // Behind nginx, the mount (routes.ts) sets X-Forwarded-Host and -Proto from PUBLIC_URL itself, so
  // the endpoints in discovery and the cookies' Secure flag follow the issuer, never a request's Host.
  provider.proxy = true;

  // The provider's own HTML that posts to a client (response_mode=form_post, the logout confirmation)
  // needs that client's origins in CSP form-action: set once the route has run and the client is known.
  provider.use(async (ctx, next) => {
    await next();
    const client = ctx.oidc?.client;
    if (client && ctx.response.is('html')) allowFormTargets(ctx.res, [...(client.redirectUris ?? []), ...(client.postLogoutRedirectUris ?? [])]);
  });

  const ClientModel = provider.Client.prototype as unknown as {
    compareClientSecret(actual: string): Promise<boolean> | boolean;
    includeSid(): boolean;
    clientSecret?: string;
  };
  // The check of a presented client secret: its SHA-256 digest against the stored one, in constant time.
  ClientModel.compareClientSecret = function compareClientSecret(actual: string) {
    return secretMatches(this.clientSecret, actual);
  };
  // `sid` in every ID token (the provider adds it only for clients with a back-channel logout URI).
  ClientModel.includeSid = () => true;
  return provider;
}
