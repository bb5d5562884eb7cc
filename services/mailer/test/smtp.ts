import { Writable } from 'node:stream';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** What the test SMTP server does with a message. */
export type SmtpBehaviour =
  | { mode: 'accept' }
  /** Refuses every recipient with this reply (550: no such mailbox; 451: try again later). */
  | { mode: 'refuse'; code: number }
  /** Takes the message and never answers: the mail stays in flight at the sender. */
  | { mode: 'hang' };

/**
 * A real SMTP server in the test process (smtp-server): every message it accepts is parsed with
 * mailparser. It can be stopped and started again on the same port, and told to refuse or hang.
 */
export class TestSmtpServer {
  readonly received: ParsedMail[] = [];
  /** Every RCPT TO it was asked, refused or not. */
  rcptCount = 0;
  /** Messages whose DATA it took and never answered. */
  hung = 0;
  behaviour: SmtpBehaviour = { mode: 'accept' };
  private server: SMTPServer | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 100,
      onRcptTo: (_address, _session, callback) => {
        this.rcptCount++;
        const b = this.behaviour;
        if (b.mode === 'refuse') return callback(Object.assign(new Error(b.code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: b.code }));
        callback();
      },
      onData: (stream, _session, callback) => {
        if (this.behaviour.mode === 'hang') {
          this.hung++;
          stream.pipe(new Writable({ write: (_c, _e, next) => next() }));
          return;
        }
        simpleParser(stream).then(
          (mail) => {
            this.received.push(mail);
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  /** Stops listening and drops every connection (421 to those mid-conversation). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The received copies of one job, by the Message-ID the mailer gives each job. */
  copiesOf(jobId: string): ParsedMail[] {
    return this.received.filter((m) => m.messageId?.startsWith(`<${jobId}@`));
  }
}
