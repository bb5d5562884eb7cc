/** What a failed send means for the job: try again later, or never. */
export type SendFailure = { permanent: false; reason: string } | { permanent: true; reason: string; responseCode: number };

/**
 * SMTP's own classes (RFC 5321 §4.2.1): a 5xx reply is a permanent refusal (550 no such mailbox,
 * 554 rejected): sending again changes nothing. A 4xx reply (mailbox busy, greylisting, rate limit)
 * and anything without a reply (connection refused, timeout, TLS, DNS, a full disk for the outbox)
 * is temporary. Authentication failures are 5xx too but are this deployment's fault, not the
 * recipient's: retried, so mails wait for the operator's fix instead of being dropped.
 */
export function classifySendFailure(err: unknown): SendFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; responseCode?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'unknown';
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600 && code !== 'EAUTH') {
    return { permanent: true, reason: `smtp_${responseCode}`, responseCode };
  }
  return { permanent: false, reason: responseCode === undefined ? code : `smtp_${responseCode}` };
}
