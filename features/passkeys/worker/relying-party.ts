import { isIP } from 'node:net';

/**
 * Who the passkeys belong to, from PUBLIC_URL only (never a request's Host, Origin or
 * X-Forwarded-* headers): the relying party id is its host name without port (a passkey is offered
 * on every port of that host), the origin checked in every ceremony its scheme, host and port. Behind
 * nginx, PUBLIC_URL is nginx's origin, and an edge's own port is then a wrong origin.
 */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
  /**
   * Why passkeys cannot work with this PUBLIC_URL, when they cannot: browsers refuse WebAuthn on an IP
   * address (`SecurityError: This is an invalid domain`), so the options answer this at once rather
   * than let a browser fail obscurely.
   */
  unavailable?: string | undefined;
}

export function relyingPartyOf(publicUrl: string, name = 'authgate'): RelyingParty {
  const url = new URL(publicUrl);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const unavailable =
    isIP(host) !== 0
      ? `passkeys are unavailable on this gateway: its PUBLIC_URL (${url.origin}) has an IP address for its host, and browsers allow passkeys only on a domain name (use localhost, or the name users reach it at)`
      : undefined;
  return { id: url.hostname, origin: url.origin, name, unavailable };
}
