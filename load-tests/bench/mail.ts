import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { createLogger } from '@authgate/shared/logger';
import { AmqpMailQueue } from '@authgate/shared/mail/amqp-queue';
import type { MailJob } from '@authgate/shared/mail/job';
import { MemoryMailQueue } from '@authgate/shared/mail/memory-queue';
import type { MailQueue } from '@authgate/shared/mail/types';
import { startMailer } from '@authgate/mailer';
import { renderMail } from '../../services/mailer/src/templates/render.ts';

/**
 * Mails per second through the mailer (lane → render → pooled SMTP → acknowledge) to a local SMTP
 * server, against nodemailer's own rate to the same server: the same pooled transport options, the
 * same rendered mails, as many sends in flight as the mailer's prefetch. One run, both figures.
 */
export interface MailBenchOptions {
  mails?: number;
  connections?: number;
  prefetch?: number;
  /** `memory` (in-process lane) or `amqp` (RabbitMQ at amqpUrl). */
  lane?: 'memory' | 'amqp';
  amqpUrl?: string;
}

const FROM = 'Bench <no-reply@bench.example>';
const PUBLIC_URL = 'https://auth.bench.example';

function job(): MailJob {
  return {
    v: 1,
    id: randomUUID(),
    kind: 'password_reset',
    to: 'ada@bench.example',
    createdAt: new Date().toISOString(),
    data: { token: randomBytes(32).toString('base64url') },
  };
}

/** A local SMTP server that takes every message and counts it (no parsing: the sender is measured). */
async function countingServer(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        count++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, count: () => count, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('mail bench: timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** nodemailer alone: sendMail on a pooled transport, `inFlight` at a time. */
async function nodemailerRate(url: string, mails: number, connections: number, inFlight: number): Promise<number> {
  const transport = nodemailer.createTransport({ url, pool: true, maxConnections: connections, maxMessages: Infinity } as Parameters<
    typeof nodemailer.createTransport
  >[0]);
  const send = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < n) {
          next++;
          const j = job();
          const mail = renderMail(j, { publicUrl: PUBLIC_URL, product: 'Bench' });
          await transport.sendMail({
            from: FROM,
            to: j.to,
            subject: mail.subject,
            text: mail.text,
            html: mail.html.value,
            messageId: `<${j.id}@bench.example>`,
          });
        }
      }),
    );
  };
  await send(Math.min(200, mails)); // warm-up: the pool's connections open
  const started = performance.now();
  await send(mails);
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return mails / seconds;
}

/** The mailer: the lane is filled first, then timed from the mailer's start to the last mail received. */
async function mailerRate(
  url: string,
  count: () => number,
  options: { mails: number; connections: number; prefetch: number; lane: 'memory' | 'amqp'; amqpUrl?: string },
): Promise<number> {
  // Logs at info, as in production (one line per mail), into a sink.
  const log = createLogger({ level: 'info', name: 'bench-mailer', destination: new Writable({ write: (_c, _e, next) => next() }) });
  const namespace = `bench-mail-${randomBytes(4).toString('hex')}`;
  const lane: MailQueue =
    options.lane === 'amqp'
      ? new AmqpMailQueue({ url: options.amqpUrl!, namespace, maxLength: 1_000_000, publishTimeoutMs: 5_000, log })
      : new MemoryMailQueue(1_000_000);
  if (lane instanceof AmqpMailQueue) await lane.waitForConnect();
  const config = {
    SMTP_URL: url,
    MAIL_FROM: FROM,
    PUBLIC_URL,
    DATA_DIR: '.data',
    MAIL_PREFETCH: options.prefetch,
    MAIL_SMTP_CONNECTIONS: options.connections,
    MAIL_RETRY_BASE_MS: 100,
    MAIL_RETRY_MAX_MS: 1_000,
  };
  const fill = async (n: number) => {
    const target = count() + n;
    for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => lane.publish(job())));
    return target;
  };
  try {
    // Warm-up, as for nodemailer: code paths compiled, a first pool opened and closed.
    const warm = await startMailer(config, { mail: lane, log });
    const warmTarget = await fill(Math.min(200, options.mails));
    await until(() => count() >= warmTarget, 60_000);
    await warm.stop();

    const target = await fill(options.mails);
    const started = performance.now();
    const mailer = await startMailer(config, { mail: lane, log });
    await until(() => count() >= target, 300_000);
    const seconds = (performance.now() - started) / 1000;
    await mailer.stop();
    return options.mails / seconds;
  } finally {
    await lane.close();
    if (lane instanceof AmqpMailQueue) {
      const amqplib = await import('amqplib');
      const connection = await amqplib.connect(options.amqpUrl!);
      const channel = await connection.createChannel();
      for (const q of [`${namespace}.mail`, `${namespace}.mail.dead`]) await channel.deleteQueue(q);
      await connection.close();
    }
  }
}

export async function benchMail(options: MailBenchOptions = {}): Promise<Record<string, unknown>> {
  const o = { mails: 5_000, connections: 5, prefetch: 16, lane: 'memory' as 'memory' | 'amqp', ...options };
  const server = await countingServer();
  try {
    const direct = await nodemailerRate(server.url, o.mails, o.connections, o.prefetch);
    const through = await mailerRate(server.url, server.count, o);
    return {
      bench: `mail: mailer (${o.lane} lane) vs nodemailer direct, ${o.mails} mails, ${o.connections} SMTP connections, ${o.prefetch} in flight`,
      nodemailerPerSecond: Math.round(direct),
      mailerPerSecond: Math.round(through),
      ratio: Number((through / direct).toFixed(3)),
    };
  } finally {
    await server.close();
  }
}

// Run alone: node --import tsx load-tests/bench/mail.ts [--lane=memory|amqp] [--mails=N]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const lanes = (arg('lane') ?? 'memory,amqp').split(',') as Array<'memory' | 'amqp'>;
  for (const lane of lanes) {
    const row = await benchMail({ lane, mails: Number(arg('mails') ?? 5_000), amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' });
    console.log(JSON.stringify(row));
  }
}
