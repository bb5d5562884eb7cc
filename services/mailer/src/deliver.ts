import type { Logger } from '@authgate/shared/logger';
import type { MailJob } from '@authgate/shared/mail/job';
import type { MailHandler, MailOutcome } from '@authgate/shared/mail/types';
import { pause, retryDelayMs } from './backoff.ts';
import { classifySendFailure } from './failures.ts';
import type { Sender } from './sender.ts';
import { renderMail, type TemplateContext } from './templates/render.ts';

/**
 * The longest one mailer holds one job unacknowledged before handing it back to the lane: RabbitMQ
 * closes the channel of a consumer that holds a delivery past its consumer_timeout (30 min by
 * default), which would hand the job to another mailer while this one still retries it.
 */
export const MAX_HOLD_MS = 10 * 60_000;

export interface DeliveryOptions {
  from: string;
  /** The domain of Message-ID headers (MAIL_FROM's). */
  messageIdDomain: string;
  templates: TemplateContext;
  retryBaseMs: number;
  retryMaxMs: number;
  sender: Sender;
  log: Logger;
  /** Aborted when the mailer stops: jobs waiting to retry go back to the lane. */
  stopping: AbortSignal;
  now?: () => number;
  /** Told of each send that will be tried again (the metrics count retries by kind). */
  onRetry?: (job: MailJob) => void;
}

/**
 * The mailer's handler for one job: render, send, and on a temporary failure wait (backoff) and send
 * again, holding the job unacknowledged the whole time, so that a mailer killed meanwhile loses
 * nothing: the broker hands the job to the next mailer. A permanent refusal sets the job aside.
 *
 * Log lines name the job (id, kind), the try and the outcome; never the recipient's link, token or code.
 */
export function createDeliveryHandler(options: DeliveryOptions): MailHandler {
  const now = options.now ?? Date.now;
  return async (job: MailJob, delivery): Promise<MailOutcome> => {
    const ids = { mailId: job.id, kind: job.kind };
    const heldSince = now();
    let rendered;
    try {
      rendered = renderMail(job, options.templates);
    } catch (err) {
      options.log.error({ ...ids, err }, 'mail not rendered');
      return { outcome: 'set_aside', reason: 'render_failed', attempts: 1 };
    }
    const message = {
      from: options.from,
      to: job.to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html.value,
      // One Message-ID per job: a copy sent twice (at-least-once) is recognisably the same mail.
      messageId: `<${job.id}@${options.messageIdDomain}>`,
      date: new Date(job.createdAt),
      headers: { 'Auto-Submitted': 'auto-generated' },
    };
    for (let attempt = 1; ; attempt++) {
      if (job.expiresAt && Date.parse(job.expiresAt) <= now()) {
        options.log.warn({ ...ids, attempt }, 'mail expired before it could be sent');
        return { outcome: 'set_aside', reason: 'expired', attempts: attempt - 1 };
      }
      try {
        const sent = await options.sender.send({ job, message });
        options.log.info(
          { ...ids, attempt, redelivered: delivery.redelivered, ...sent },
          sent.via === 'outbox' ? `mail written to outbox file ${sent.file}` : 'mail sent',
        );
        return { outcome: 'sent' };
      } catch (err) {
        const failure = classifySendFailure(err);
        if (failure.permanent) {
          options.log.warn({ ...ids, attempt, reason: failure.reason, err }, 'mail refused by the SMTP server: set aside');
          return { outcome: 'set_aside', reason: 'smtp_rejected', attempts: attempt, responseCode: failure.responseCode };
        }
        const delayMs = retryDelayMs(attempt, options.retryBaseMs, options.retryMaxMs);
        if (now() + delayMs - heldSince > MAX_HOLD_MS) {
          options.log.warn({ ...ids, attempt, reason: failure.reason, err }, 'mail not sent: back to the lane after holding it too long');
          return { outcome: 'requeue' };
        }
        options.log.warn({ ...ids, attempt, reason: failure.reason, retryInMs: delayMs, err }, 'mail not sent: will retry');
        options.onRetry?.(job);
        if (!(await pause(delayMs, options.stopping))) return { outcome: 'requeue' };
      }
    }
  };
}
