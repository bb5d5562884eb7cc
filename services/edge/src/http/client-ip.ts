import type { HttpRequest, HttpResponse } from '../uws.ts';

/**
 * The client's address. X-Forwarded-For is believed only when the peer is one of our own proxies
 * (TRUSTED_PROXIES), and then only its last entry, the one our proxy appended: earlier entries are
 * whatever the client chose to send.
 */
export function clientIp(res: HttpResponse, req: HttpRequest, trustedProxies: ReadonlySet<string>): string {
  const peer = normalize(Buffer.from(res.getRemoteAddressAsText()).toString());
  if (trustedProxies.size === 0 || !trustedProxies.has(peer)) return peer;
  const forwarded = req.getHeader('x-forwarded-for');
  const last = forwarded.split(',').pop()?.trim();
  return last ? normalize(last) : peer;
}

function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
