import type { Logger } from '@authgate/shared/logger';

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
  | 'logout.rejected';

export interface AuditEvent {
  action: AuditAction;
  requestId: string;
  ip: string;
  userId?: string;
  sessionId?: string;
  reason?: string;
}

/** Every auth action emits one audit event. Events name who and what, never a credential. */
export class AuditLog {
  /** Events written, by action (read by the metrics). */
  readonly counts = new Map<AuditAction, number>();

  constructor(private readonly log: Logger) {}

  emit(event: AuditEvent): void {
    this.log.info({ audit: event }, event.action);
    this.counts.set(event.action, (this.counts.get(event.action) ?? 0) + 1);
  }
}
