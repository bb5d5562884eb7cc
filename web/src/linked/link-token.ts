/** The shape of an email token (256 random bits, base64url): anything else is a link cut short. */
const TOKEN = /^[A-Za-z0-9_-]{43,256}$/;

/**
 * The token a mail's link carries (`#token=`; `?token=` is read too, for a link rewritten on its
 * way), taken out of the address bar at once with history.replaceState: it is not kept in the
 * history, shown on screen, bookmarked or copied with the address. The page also sends
 * `Referrer-Policy: no-referrer`, and the fragment never reaches a server. Undefined when the link
 * holds no token of the right shape.
 */
export function takeLinkToken(): string | undefined {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  const query = new URLSearchParams(location.search);
  const token = fromHash ?? query.get('token');
  if (location.hash || query.has('token')) {
    query.delete('token');
    const rest = query.toString();
    history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}`);
  }
  return token !== null && TOKEN.test(token) ? token : undefined;
}
