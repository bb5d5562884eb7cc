import type { Logger } from '@authgate/shared/logger';
import { newAuditEvent, type AuthEventType } from '@authgate/shared/events/schema';
import type { EventBus } from '@authgate/shared/events/types';
import type { Command } from '@authgate/shared/protocol';

export type AuditAction =
  | 'register.succeeded'
  | 'register.rejected'
  | 'login.succeeded'
  | 'login.failed'
  | 'refresh.succeeded'
  /** A concurrent refresh of a token within the grace window: handed the same successor pair. */
  | 'refresh.concurrent'
  | 'refresh.rejected'
  | 'refresh.reuse_detected'
  | 'logout.succeeded'
  | 'logout.rejected'
  | 'session.revoked'
  | 'device.approval_requested'
  | 'device.approved'
  | 'device.denied'
  /** The emailed code of a new device was right: published as `device.approved`, reason `emailed_code`. */
  | 'device.code_verified'
  /** A wrong emailed code: published as `login.failed`, reason `invalid_device_code`. */
  | 'device.code_rejected'
  | 'email.verification_sent'
  | 'email.verified'
  | 'password.reset_requested'
  | 'password.reset'
  | 'password.changed'
  /** A wrong password on a signed-in account's command: password change, TOTP setup or disable (`reason`: the command). */
  | 'password.check_failed'
  | 'login.mfa_required'
  | 'mfa.enabled'
  | 'mfa.disabled'
  | 'mfa.failed'
  | 'passkey.registered'
  | 'passkey.removed'
  /** A refused passkey registration (`reason`: the check): a log line, not an audit event. */
  | 'passkey.register_rejected';

/** Who asked: the request, the client's address and user agent, as the edge saw them. */
export interface AuditOrigin {
  requestId: string;
  ip: string;
  userAgent?: string | undefined;
}

export function originOf(command: Command): AuditOrigin {
  return { requestId: command.requestId, ip: command.meta.ip, userAgent: command.meta.userAgent };
}

export interface AuditEvent extends AuditOrigin {
  action: AuditAction;
  userId?: string;
  sessionId?: string;
  deviceId?: string;
  reason?: string;
}

/**
 * The actions that are audit events (docs/rest.md, GET /auth/events), published to the event bus; the others (refreshes,
 * rejected tokens) stay log lines: a refresh every 15 minutes per session would drown the trail.
 */
const PUBLISHED: Partial<Record<AuditAction, AuthEventType>> = {
  'register.succeeded': 'register',
  'login.succeeded': 'login.succeeded',
  'login.failed': 'login.failed',
  'refresh.reuse_detected': 'refresh.reuse_detected',
  'logout.succeeded': 'logout',
  'device.approval_requested': 'device.approval_requested',
  'device.approved': 'device.approved',
  'device.denied': 'device.denied',
  'device.code_verified': 'device.approved',
  'device.code_rejected': 'login.failed',
  'email.verified': 'email.verified',
  'password.reset_requested': 'password.reset_requested',
  'password.reset': 'password.reset',
  'password.changed': 'password.changed',
  'password.check_failed': 'password.check_failed',
  'login.mfa_required': 'login.mfa_required',
  'mfa.enabled': 'mfa.enabled',
  'mfa.disabled': 'mfa.disabled',
  'mfa.failed': 'mfa.failed',
  'passkey.registered': 'passkey.registered',
  'passkey.removed': 'passkey.removed',
  // Every session end is in the trail: the admin analytics count sessions open from it.
  'session.revoked': 'session.revoked',
};

const PUBLISH_ATTEMPTS = 3;

/** Every auth action emits one audit event. Events name who and what, never a credential. */
export class AuditLog {
  private readonly inFlight = new Set<Promise<void>>();

  /** Events written, by action (read by the metrics). */
  readonly counts = new Map<AuditAction, number>();

  constructor(
    private readonly log: Logger,
    private readonly events?: EventBus,
  ) {}

  emit(event: AuditEvent): void {
    this.log.info({ audit: event }, event.action);
    this.counts.set(event.action, (this.counts.get(event.action) ?? 0) + 1);
    const type = PUBLISHED[event.action];
    if (!type || !this.events) return;
    const published = newAuditEvent({
      type,
      userId: event.userId,
      sessionId: event.sessionId,
      deviceId: event.deviceId,
      ip: event.ip,
      userAgent: event.userAgent,
      data: { requestId: event.requestId, ...(event.reason ? { reason: event.reason } : {}) },
    });
    // Not awaited by the command: the answer does not wait for the audit trail. Retried with the same
    // id (the writer stores an id once); a stop waits for these (flush).
    const work = this.publish(published).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async publish(event: ReturnType<typeof newAuditEvent>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.events!.publish(event);
        return;
      } catch (err) {
        if (attempt >= PUBLISH_ATTEMPTS) {
          this.log.error({ err, eventId: event.id, type: event.type, requestId: event.data.requestId }, 'audit event not published');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  /** Waits for the events still being published. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}
