import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** The mails a deployment sent, wherever they went: a real SMTP server here, or the all-in-one's outbox. */
export interface Mailbox {
  /** Every mail received so far, parsed with mailparser. */
  readonly mails: ParsedMail[];
  /** Resolves with the first mail to `to` that `match` accepts and no earlier call took; fails after `timeoutMs`. */
  take(to: string, match: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** The mails to `to` received so far. */
  to(address: string): ParsedMail[];
  close(): Promise<void>;
}

const recipient = (mail: ParsedMail) => (mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address?.toLowerCase() : undefined);

abstract class BaseMailbox implements Mailbox {
  readonly mails: ParsedMail[] = [];
  private readonly taken = new Set<ParsedMail>();

  protected async poll(): Promise<void> {}

  async take(to: string, match: (mail: ParsedMail) => boolean, timeoutMs = 15_000): Promise<ParsedMail> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      const found = this.mails.find((m) => !this.taken.has(m) && recipient(m) === to.toLowerCase() && match(m));
      if (found) {
        this.taken.add(found);
        return found;
      }
      if (Date.now() > until)
        throw new Error(
          `no matching mail to ${to} within ${timeoutMs} ms (to them: ${this.to(to)
            .map((m) => m.subject)
            .join(' | ')})`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  to(address: string): ParsedMail[] {
    return this.mails.filter((m) => recipient(m) === address.toLowerCase());
  }

  abstract close(): Promise<void>;
}

/** A real SMTP server (smtp-server) in the test process; recipients in `refuse` get 550 at RCPT TO. */
export class SmtpMailbox extends BaseMailbox {
  readonly refuse = new Set<string>();
  private server: SMTPServer | undefined;
  port = 0;

  static async start(): Promise<SmtpMailbox> {
    const box = new SmtpMailbox();
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 100,
      onRcptTo: (address, _session, callback) => {
        if (box.refuse.has(address.address.toLowerCase())) return callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
        callback();
      },
      onData: (stream, _session, callback) => {
        simpleParser(stream).then(
          (mail) => {
            box.mails.push(mail);
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    box.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    box.port = (server.server.address() as { port: number }).port;
    return box;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The all-in-one without SMTP_URL: each mail an .eml file under DATA_DIR/outbox/, parsed as it appears. */
export class OutboxMailbox extends BaseMailbox {
  private readonly read = new Set<string>();

  constructor(readonly dir: string) {
    super();
  }

  protected override async poll(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.eml') && !this.read.has(n)).sort()) {
      this.read.add(name);
      this.mails.push(await simpleParser(await readFile(path.join(this.dir, name))));
    }
  }

  override to(address: string): ParsedMail[] {
    return super.to(address);
  }

  async close(): Promise<void> {}
}

/** The token of the first `<publicUrl>/<page>#token=` link in a mail's text, checked in its HTML too. */
export function linkToken(mail: ParsedMail, publicUrl: string, page: 'verify-email' | 'reset-password'): string {
  const escaped = `${publicUrl}/${page}#token=`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`${escaped}([A-Za-z0-9_-]+)`).exec(mail.text ?? '');
  if (!match) throw new Error(`no ${page} link under ${publicUrl} in "${mail.subject}": ${mail.text}`);
  const html = typeof mail.html === 'string' ? mail.html : '';
  if (!html.includes(`href="${publicUrl}/${page}#token=${match[1]}"`)) throw new Error(`the HTML part lacks the ${page} link`);
  return match[1]!;
}

export const isVerifyMail = (mail: ParsedMail) => (mail.text ?? '').includes('/verify-email#token=');
export const isResetMail = (mail: ParsedMail) => (mail.text ?? '').includes('/reset-password#token=');
export const isPasswordChangedMail = (mail: ParsedMail) => /password was changed/i.test(mail.subject ?? '');
export const isNewSignInMail = (mail: ParsedMail) => /^New sign-in to your /.test(mail.subject ?? '');
export const isRefreshReuseMail = (mail: ParsedMail) => /^A session of your .* was signed out$/.test(mail.subject ?? '');
