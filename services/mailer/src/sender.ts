import nodemailer, { type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { Outbox } from './outbox.ts';

export interface OutgoingMail {
  job: { id: string; kind: string; createdAt: string };
  message: Mail.Options;
}

/** Where a mail went, for the log line: the SMTP server's message id, or the outbox file's name. */
export type SentTo = { via: 'smtp'; messageId: string; response: string } | { via: 'outbox'; file: string };

export interface Sender {
  send(mail: OutgoingMail): Promise<SentTo>;
  close(): void;
}

export interface SmtpOptions {
  url: string;
  connections: number;
}

/**
 * nodemailer over SMTP with a pool of connections kept open between mails (one TLS handshake per
 * connection, not per mail). Timeouts are far below nodemailer's defaults (2 minutes to connect): an
 * unreachable server should turn into a retry with backoff, not a job held for minutes.
 */
export function smtpSender(options: SmtpOptions): Sender {
  const transport: Transporter = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.connections,
    maxMessages: Infinity,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // nodemailer's own logger would print whole SMTP conversations, mails included.
    logger: false,
    debug: false,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send({ message }) {
      const info = (await transport.sendMail(message)) as { messageId: string; response: string };
      return { via: 'smtp', messageId: info.messageId, response: info.response };
    },
    close: () => transport.close(),
  };
}

/** Without SMTP: nodemailer's stream transport builds the same raw message, written to the outbox. */
export function outboxSender(dataDir: string): Sender & { outbox: Outbox } {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const outbox = new Outbox(dataDir);
  return {
    outbox,
    async send({ job, message }) {
      const info = (await transport.sendMail(message)) as { message: Buffer };
      return { via: 'outbox', file: await outbox.write(job, info.message) };
    },
    close: () => transport.close(),
  };
}
