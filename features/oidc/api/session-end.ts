import type Provider from 'oidc-provider';
import type { Logger } from '@authgate/shared/logger';
import type { SessionLinks } from '../stores/links.ts';
import type { OidcAudit } from './audit.ts';

/** How long one process may take to end a session before another may try: enough for a back-channel POST (2.5 s timeout) and its stores. */
export const ENDING_LEASE_MS = 10_000;
/** A failed ending (a store did not answer) is tried again this many times, this far apart. */
const RETRIES = 5;
const RETRY_MS = 1_000;

interface Authorization {
  sid?: string;
  grantId?: string;
}

type BackchannelClient = { clientId: string; backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string): Promise<void> };

/**
 * The end of an authgate session (sign-out, revoke, revoke-others, password reset, admin disable,
 * refresh-token reuse) ends the OpenID sessions signed in with it: every client with a
 * `backchannel_logout_uri` receives a logout token, and every grant is revoked, so its refresh and
 * access tokens stop working. oidc-provider has no public "end this session" call (its end_session
 * action does the work inline): this does the same with its public model API.
 *
 * Several API processes hear of the same end; the one that claims it works, the others look again
 * once the claim's lease has run out, so that a process that died mid-way is taken over.
 */
export class OidcSessionEnding {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly provider: () => Promise<Provider>,
    private readonly links: SessionLinks,
    private readonly audit: OidcAudit,
    private readonly log: Logger,
    private readonly leaseMs = ENDING_LEASE_MS,
  ) {}

  /** An authgate session ended: end its OpenID sessions. Never throws; a failure is retried, then logged. */
  sessionEnded(sid: string, attempt = 1): void {
    if (this.stopped) return;
    const work = this.end(sid)
      .catch((err: unknown) => {
        if (attempt >= RETRIES) this.log.error({ err, sid }, 'the OpenID sessions of an ended session could not be ended');
        else this.later(RETRY_MS * attempt, () => this.sessionEnded(sid, attempt + 1));
      })
      .finally(() => this.running.delete(work));
    this.running.add(work);
  }

  private async end(sid: string): Promise<void> {
    // Links made while an ending ran are ended by the next round (bounded: each round ends what it found).
    for (let round = 0; round < 3; round++) {
      const uids = await this.links.claim(sid, this.leaseMs);
      if (uids === undefined) {
        // Another process ends it; if that process dies, its claim lapses and this one takes over.
        this.later(this.leaseMs + 250, () => this.sessionEnded(sid));
        return;
      }
      if (uids.length > 0) {
        const provider = await this.provider();
        await Promise.all(uids.map((uid) => this.endProviderSession(provider, uid, sid)));
      }
      if ((await this.links.release(sid, uids)) === 0) return;
    }
  }

  /** One provider session: destroyed first (no new code from it), then each client's grant revoked and its back-channel told. */
  private async endProviderSession(provider: Provider, uid: string, sid: string): Promise<void> {
    const session = await provider.Session.findByUid(uid);
    if (!session?.accountId) return;
    const accountId = session.accountId;
    const authorizations = Object.entries((session.authorizations ?? {}) as Record<string, Authorization>);
    await session.destroy();
    await Promise.all(
      authorizations.map(async ([clientId, authorization]) => {
        if (authorization.grantId) await revokeGrant(provider, authorization.grantId);
        const client = (await provider.Client.find(clientId).catch(() => undefined)) as BackchannelClient | undefined;
        let backchannel: 'delivered' | 'failed' | 'none' = 'none';
        if (client?.backchannelLogoutUri) {
          try {
            await client.backchannelLogout(accountId, authorization.sid ?? sid);
            backchannel = 'delivered';
            provider.emit('backchannel.success', undefined, client, accountId, authorization.sid);
          } catch (err) {
            backchannel = 'failed';
            provider.emit('backchannel.error', undefined, err, client, accountId, authorization.sid);
          }
        }
        this.audit.logout({ userId: accountId, sid, clientId, via: 'session_ended', backchannel });
      }),
    );
  }

  private later(ms: number, run: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** Stops retries and waits for the endings under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}

/** Every token of a grant, and the grant itself. */
export async function revokeGrant(provider: Provider, grantId: string): Promise<void> {
  const grants = (provider.Grant as unknown as { adapter: { destroy(id: string): Promise<void> } }).adapter;
  await Promise.all([
    provider.AccessToken.revokeByGrantId(grantId),
    provider.RefreshToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
    grants.destroy(grantId),
  ]);
  provider.emit('grant.revoked', undefined, grantId);
}
