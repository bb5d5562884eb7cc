import type { ServerResponse } from 'node:http';

/**
 * CSP `form-action` also governs the redirects that follow a form submission (Chromium checks every
 * hop). The provider's logout confirmation posts to /oidc/session/end/confirm, which answers 303 to
 * the client's post-logout URI on another origin; response_mode=form_post's page posts to the
 * client's redirect URI. Under helmet's `form-action 'self'` Chromium aborts those hops
 * (net::ERR_ABORTED). So such a page widens form-action to the origins of that client's registered
 * URIs, and to no other.
 */
export function allowFormTargets(res: ServerResponse, uris: readonly string[] | undefined): void {
  const csp = res.getHeader('content-security-policy');
  if (typeof csp !== 'string') return;
  const origins = [...new Set((uris ?? []).map((uri) => URL.parse(uri)?.origin).filter((o): o is string => !!o && o !== 'null'))];
  if (origins.length === 0) return;
  const directives = csp
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean);
  const index = directives.findIndex((d) => d.toLowerCase().startsWith('form-action'));
  if (index === -1) return; // no form-action: nothing restricts the hops
  const present = new Set(directives[index]!.split(/\s+/));
  const added = origins.filter((origin) => !present.has(origin));
  if (added.length === 0) return;
  directives[index] = `${directives[index]} ${added.join(' ')}`;
  res.setHeader('content-security-policy', directives.join('; '));
}
