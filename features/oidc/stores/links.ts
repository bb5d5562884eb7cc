/**
 * authgate session id (sid) ↔ oidc-provider Session uid. The provider keys its browser session by a
 * cookie id that rotates and by a fixed `uid`; authgate knows only its own sid. When authgate ends a
 * session, the provider sessions signed in with it are found here. Several API processes hear of the
 * same end: the one that claims it does the work, and gives the claim up only once the links are gone.
 */
export interface SessionLinks {
  /** Records that provider session `uid` was signed in with authgate session `sid`, both ways, for `ttlSeconds`. */
  link(sid: string, uid: string, ttlSeconds: number): Promise<void>;
  /** The authgate sid a provider session was signed in with. */
  sidOf(uid: string): Promise<string | undefined>;
  /**
   * Claims the ending of `sid` for `leaseMs` and returns the provider session uids linked to it
   * (possibly none); undefined while another process holds the claim.
   */
  claim(sid: string, leaseMs: number): Promise<string[] | undefined>;
  /** Those uids are ended: forgets their links and gives the claim up. Returns how many links `sid` still has (made meanwhile). */
  release(sid: string, uids: readonly string[]): Promise<number>;
  close(): Promise<void>;
}
