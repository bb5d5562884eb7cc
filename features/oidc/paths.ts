/**
 * The OpenID Connect feature's fixed names: where its endpoints live, the page that signs a person in
 * for it, its scopes and audit events. Plain constants (no zod, nothing of the server): the edge and
 * the page import them; contract.ts adds the shapes of its JSON routes.
 */

/** Every endpoint of the provider, under /oidc so that none clashes with the gateway's /auth/* or its JWKS. */
export const OIDC_ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/me',
  jwks: '/oidc/jwks',
  end_session: '/oidc/session/end',
  introspection: '/oidc/token/introspection',
  revocation: '/oidc/token/revocation',
  // Not enabled; named so that none would sit at the root if one were.
  backchannel_authentication: '/oidc/backchannel',
  challenge: '/oidc/challenge',
  code_verification: '/oidc/device',
  credential: '/oidc/credential',
  device_authorization: '/oidc/device/auth',
  pushed_authorization_request: '/oidc/request',
  registration: '/oidc/reg',
} as const;

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/**
 * Where the provider sends the browser to sign in or consent. Its signed interaction cookie is scoped
 * to this path and what lies under it, so the page's calls go to `<INTERACTION_PATH>/<uid>/...`.
 */
export const INTERACTION_PATH = '/oidc/interaction';

/** authgate's page, served by the edge: it signs the person in as anywhere else, then hands the interaction its access token. */
export const OIDC_PAGE_PATH = '/sign-in/oidc';

/** The page's address for one interaction. */
export function interactionPageUrl(uid: string): string {
  return `${OIDC_PAGE_PATH}?interaction=${encodeURIComponent(uid)}`;
}

/** The scopes the provider knows; a client's `scope` metadata may list only these. */
export const OIDC_SCOPES = ['openid', 'offline_access', 'email'] as const;

/** OpenID's own audit events: a sign-in to a client, and the end of a client's OpenID session. */
export const OIDC_AUDIT_EVENTS = ['oidc.signed_in', 'oidc.logout'] as const;
