import { newAuditEvent } from '@authgate/shared/events/schema';
import type { EventBus } from '@authgate/shared/events/types';
import type { Logger } from '@authgate/shared/logger';

/** Where the request came from, when there was one. */
export interface AuditOrigin {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/**
 * The OpenID layer's audit events: `oidc.signed_in` (a client received a sign-in for the account)
 * and `oidc.logout` (a client's OpenID session ended, and whether its back-channel heard of it). They
 * name the client, never a token. Published without holding up the answer; a bus that stays away
 * costs the event a log line, as the account API's other events do.
 */
export class OidcAudit {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  signedIn(fields: { userId: string; sid: string | undefined; clientId: string } & AuditOrigin): void {
    this.publish('oidc.signed_in', fields.userId, fields.sid, fields, { clientId: fields.clientId });
  }

  logout(
    fields: {
      userId: string;
      sid: string | undefined;
      clientId: string;
      via: 'session_ended' | 'rp_initiated';
      backchannel: 'delivered' | 'failed' | 'none';
    } & AuditOrigin,
  ): void {
    this.publish('oidc.logout', fields.userId, fields.sid, fields, { clientId: fields.clientId, via: fields.via, backchannel: fields.backchannel });
  }

  private publish(type: 'oidc.signed_in' | 'oidc.logout', userId: string, sid: string | undefined, origin: AuditOrigin, data: Record<string, string>): void {
    let event;
    try {
      event = newAuditEvent({ type, userId, sessionId: sid, ip: origin.ip, userAgent: origin.userAgent?.slice(0, 512), data });
    } catch (err) {
      this.log.error({ err, type }, 'OpenID audit event not built');
      return;
    }
    const work = this.events
      .publish(event)
      .catch((err: unknown) => this.log.error({ err, eventId: event.id, type, userId }, 'audit event not published'))
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}
