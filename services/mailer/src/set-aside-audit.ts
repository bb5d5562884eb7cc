import { newAuditEvent } from '@authgate/shared/events/schema';
import type { EventBus } from '@authgate/shared/events/types';
import type { Logger } from '@authgate/shared/logger';
import type { DeadMail } from '@authgate/shared/mail/job';

/**
 * A mail given up for good (SMTP 5xx, expired, invalid) becomes a `mail.set_aside` audit event: which
 * job, which kind, why, after how many tries. Never the recipient, link, token or code: the redacted
 * DeadMail holds none. The log line stays as well, for when the bus itself is away.
 */
export function auditSetAside(events: EventBus | undefined, log: Logger): (dead: DeadMail) => void {
  return (dead) => {
    log.warn({ audit: { action: 'mail.set_aside', ...dead } }, 'mail.set_aside');
    if (!events) return;
    const event = newAuditEvent({
      type: 'mail.set_aside',
      data: {
        mailId: dead.id,
        kind: dead.kind,
        reason: dead.reason,
        attempts: dead.attempts,
        ...(dead.responseCode === undefined ? {} : { responseCode: dead.responseCode }),
      },
    });
    events.publish(event).catch((err: unknown) => log.error({ err, mailId: dead.id }, 'mail.set_aside audit event not published'));
  };
}
