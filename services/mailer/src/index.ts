import type { Config } from '@authgate/shared/config';
import type { Logger } from '@authgate/shared/logger';
import type { DeadMail } from '@authgate/shared/mail/job';
import type { EventBus } from '@authgate/shared/events/types';
import type { MailQueue, MailOutcome } from '@authgate/shared/mail/types';
import { auditSetAside } from './set-aside-audit.ts';
import type { Registry } from 'prom-client';
import { createDeliveryHandler } from './deliver.ts';
import { MailerMetrics } from './metrics.ts';
import { outboxSender, smtpSender, type Sender } from './sender.ts';

export type MailerConfig = Pick<
  Config,
  'SMTP_URL' | 'MAIL_FROM' | 'PUBLIC_URL' | 'DATA_DIR' | 'MAIL_PREFETCH' | 'MAIL_SMTP_CONNECTIONS' | 'MAIL_RETRY_BASE_MS' | 'MAIL_RETRY_MAX_MS'
>;

export interface MailerDeps {
  mail: MailQueue;
  log: Logger;
  /** Where each mail set aside becomes a `mail.set_aside` audit event (absent: only the log line). */
  events?: EventBus | undefined;
  /** Told of each job set aside (refused by SMTP, expired, invalid): the redacted copy, no link or code. */
  onSetAside?: (info: DeadMail) => void;
  /** The process's metrics registry (METRICS_PORT not off): jobs by kind and outcome, retries, set aside. */
  metrics?: Registry | undefined;
}

export interface MailerHandle {
  /** `smtp`, or `outbox` without SMTP_URL. */
  readonly mode: 'smtp' | 'outbox';
  ready(): Promise<boolean>;
  /** Stops taking jobs; jobs waiting to retry go back to the lane, sends under way finish; closes SMTP. */
  stop(): Promise<void>;
}

/** `Acme <no-reply@acme.com>` → the name shown in mails (`Acme`) and the domain of Message-IDs. */
function identityOf(from: string): { product: string; domain: string } {
  const match = /^\s*([^<]*?)\s*<[^@<>]+@([^<>]+)>\s*$/.exec(from);
  if (match) return { product: match[1]!.replace(/^"|"$/g, '') || 'authgate', domain: match[2]! };
  return { product: 'authgate', domain: from.split('@')[1] ?? 'localhost' };
}

/**
 * The mailer: consumes mail jobs and sends each as text + HTML over SMTP (nodemailer, pooled), or,
 * without SMTP_URL, writes it as an .eml file under DATA_DIR/outbox/.
 */
export async function startMailer(config: MailerConfig, deps: MailerDeps): Promise<MailerHandle> {
  const log = deps.log.child({ role: 'mailer' });
  const sender: Sender = config.SMTP_URL ? smtpSender({ url: config.SMTP_URL, connections: config.MAIL_SMTP_CONNECTIONS }) : outboxSender(config.DATA_DIR);
  const mode = config.SMTP_URL ? 'smtp' : 'outbox';
  const identity = identityOf(config.MAIL_FROM);
  const stopping = new AbortController();
  const metrics = deps.metrics ? new MailerMetrics(deps.metrics) : undefined;
  const handle = createDeliveryHandler({
    from: config.MAIL_FROM,
    messageIdDomain: identity.domain,
    templates: { publicUrl: config.PUBLIC_URL, product: identity.product },
    retryBaseMs: config.MAIL_RETRY_BASE_MS,
    retryMaxMs: config.MAIL_RETRY_MAX_MS,
    sender,
    log,
    stopping: stopping.signal,
    onRetry: metrics && ((job) => metrics.retried(job.kind)),
  });
  const audit = auditSetAside(deps.events, log);
  const inHand = new Set<Promise<MailOutcome>>();
  await deps.mail.consume(
    (job, delivery) => {
      const started = performance.now();
      const work = handle(job, delivery).then((outcome) => {
        metrics?.finished(job.kind, outcome, started);
        return outcome;
      });
      inHand.add(work);
      return work.finally(() => inHand.delete(work));
    },
    {
      prefetch: config.MAIL_PREFETCH,
      onSetAside: (dead) => {
        audit(dead);
        metrics?.setAsideOf(dead);
        deps.onSetAside?.(dead);
      },
    },
  );
  log.info(
    { mode, prefetch: config.MAIL_PREFETCH, publicUrl: config.PUBLIC_URL },
    mode === 'smtp' ? 'mailer consuming' : 'mailer consuming: no SMTP_URL, mails go to DATA_DIR/outbox',
  );
  return {
    mode,
    ready: () => deps.mail.ready(),
    async stop() {
      await deps.mail.stopConsuming();
      stopping.abort();
      await Promise.allSettled([...inHand]);
      sender.close();
    },
  };
}
