import type { ChannelWrapper } from 'amqp-connection-manager';
import { BrokerConnection } from '../amqp-broker.ts';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Command } from '../protocol.ts';
import {
  deadLetterOf,
  laneOf,
  PASSWORD_ROUNDS,
  RoundBuckets,
  roundOf,
  UnconfirmedCommand,
  type CommandQueue,
  type DeadLetter,
  type Delivery,
  type LaneDepth,
  type PoisonHandler,
  type Prefetch,
} from './types.ts';

export type QueueType = 'classic' | 'quorum';

export interface AmqpQueueOptions {
  /** One broker, or every node of a RabbitMQ cluster (the connection manager tries them in turn). */
  url: string | readonly string[];
  namespace: string;
  maxLength: number;
  /** How long a publish may wait for the broker (reconnecting, or not confirming) before `overloaded`. */
  publishTimeoutMs: number;
  /** Default `classic`. Quorum queues are replicated across a broker cluster and count deliveries exactly. */
  queueType?: QueueType;
  /** Deliveries of one command before it is set aside as poison (default 2: classic queues cannot count further). */
  deliveryLimit?: number;
  log: Logger;
}

const RETRY_DELAY_MS = 250;
/** amqplib's error for a publish the broker nacked. */
const NACKED = 'message nacked';
/** Dead letters are for a look by an operator, not an archive: bounded in number and in age. */
const DEAD_LETTER_MAX_LENGTH = 10_000;
const DEAD_LETTER_TTL_MS = 7 * 86_400_000;

/**
 * The broker queues of a namespace: one per round of the password lane (the first round keeps the lane's
 * original name, so that commands from an edge that stamps no round still reach every worker), the
 * session lane, and the dead letters.
 */
export function commandQueueNames(namespace: string): { password: string[]; session: string; dead: string } {
  const password = Array.from({ length: PASSWORD_ROUNDS }, (_, round) => `${namespace}.cmd.password${round === 0 ? '' : `.r${round}`}`);
  return { password, session: `${namespace}.cmd.session`, dead: `${namespace}.cmd.dead` };
}

/** A password command a worker holds, waiting for a free slot: it runs lowest round first. */
interface HeldCommand {
  channel: Channel;
  run: () => void;
  /** Puts it back on its queue, unstarted (the worker stops consuming). */
  giveBack: () => void;
}

/** The delivery count of a message: exact on quorum queues, "first or not" on classic ones. */
export function deliveryOf(message: ConsumeMessage): Delivery {
  const count = message.properties.headers?.['x-delivery-count'];
  if (typeof count === 'number' && Number.isInteger(count) && count >= 0) return { attempt: count + 1 };
  return { attempt: message.fields.redelivered ? 2 : 1 };
}

/**
 * RabbitMQ driver of CommandQueue. amqp-connection-manager re-creates the connection, channels,
 * queues and consumers after any loss; publishes go through a confirm channel so a command counts as
 * accepted only once the broker has it. Each lane is a durable queue (classic or quorum) whose length
 * is bounded with `reject-publish`: a full queue nacks, and the edge answers `overloaded` at once.
 *
 * The password lane is PASSWORD_ROUNDS queues, one per round (transport/types.ts). A worker consumes
 * each with the lane's prefetch, holds what it is handed, and runs at most that prefetch at once,
 * always the held command of the lowest round first: with a prefetch of a few commands the order a
 * worker runs them in is what decides who waits, and a round-0 command finds its queue's prefetch free
 * and is next on the worker it reaches, however long the higher rounds' queues are. Each round's queue
 * is bounded at maxLength: a source that fills its last round is refused there, not the others.
 *
 * Poison: a command delivered `deliveryLimit` times is set aside by the consumer itself, not by a
 * broker dead-letter exchange: the broker would keep the whole message, password included. What goes
 * to `<ns>.cmd.dead` is a DeadLetter (who asked what, no body), and the client gets an error. Commands
 * that merely expired (per-message TTL = their deadline) are discarded by the broker, never dead-lettered.
 */
export class AmqpCommandQueue implements CommandQueue {
  private readonly connection: BrokerConnection;
  private readonly publisher: ChannelWrapper;
  private consumer: ChannelWrapper | undefined;
  /** The raw channel the consumers live on now and their tags: acks go to the channel a message came on. */
  private consuming: { channel: Channel; tags: string[] } | undefined;
  /** Declared on first use only, and again after each reconnect from then on. */
  private deadQueueUsed = false;
  private stopped = false;
  /** The password lane's queue of each round, and the session lane's queue. */
  private readonly passwordQueues: string[];
  private readonly sessionQueue: string;
  private readonly deadQueue: string;
  /** Password commands handed to this worker and not yet started, by round; and how many run now. */
  private readonly held = new RoundBuckets<HeldCommand>();
  private passwordRunning = 0;
  private passwordConcurrency = 1;
  private readonly queueType: QueueType;
  private readonly deliveryLimit: number;
  /** Publishes awaiting the broker's confirm. */
  unconfirmed = 0;

  constructor(private readonly options: AmqpQueueOptions) {
    const names = commandQueueNames(options.namespace);
    this.passwordQueues = names.password;
    this.sessionQueue = names.session;
    this.deadQueue = names.dead;
    this.queueType = options.queueType ?? 'classic';
    this.deliveryLimit = options.deliveryLimit ?? 2;
    if (this.queueType === 'classic' && this.deliveryLimit > 2) throw new Error('a delivery limit above 2 needs quorum queues');
    this.connection = new BrokerConnection(options.url, 'commands', options.log);
    this.publisher = this.connection.channel('publisher', {
      confirm: true,
      publishTimeoutMs: options.publishTimeoutMs,
      setup: (channel) => this.assertQueues(channel),
    });
  }

  private laneArguments(): Record<string, unknown> {
    const bounded = { 'x-max-length': this.options.maxLength, 'x-overflow': 'reject-publish' };
    // The broker's own limit is the last resort for a command that kills every worker that takes it
    // (never acked, never nacked): the consumer sets it aside one delivery earlier, when it can.
    return this.queueType === 'quorum' ? { ...bounded, 'x-queue-type': 'quorum', 'x-delivery-limit': this.deliveryLimit } : bounded;
  }

  private async assertQueues(channel: Channel): Promise<void> {
    for (const queue of [...this.passwordQueues, this.sessionQueue]) await channel.assertQueue(queue, { durable: true, arguments: this.laneArguments() });
    if (this.deadQueueUsed) await this.assertDeadQueue(channel);
  }

  private async assertDeadQueue(channel: Pick<Channel, 'assertQueue'> | ChannelWrapper): Promise<void> {
    const bounded = { 'x-max-length': DEAD_LETTER_MAX_LENGTH, 'x-overflow': 'drop-head', 'x-message-ttl': DEAD_LETTER_TTL_MS };
    // Quorum too on a RabbitMQ cluster: a classic queue lives on one node, and while that node is down
    // declaring it fails (404 home node down) and takes the channel's whole setup with it.
    await channel.assertQueue(this.deadQueue, { durable: true, arguments: this.queueType === 'quorum' ? { ...bounded, 'x-queue-type': 'quorum' } : bounded });
  }

  async publish(command: Command): Promise<void> {
    const ttl = command.deadline - Date.now();
    if (ttl <= 0) throw new AppError('timeout', 'the request expired before it was queued');
    // A command never sent is surely not taken: while the broker is away, wait a little for the
    // reconnection, then answer `overloaded` rather than hand it to the wrapper's resend queue.
    if (!(await this.connection.connectedWithin(Math.min(this.options.publishTimeoutMs, ttl)))) {
      this.options.log.warn({ requestId: command.requestId }, 'command not sent: the broker is unreachable');
      throw new AppError('overloaded', 'the service is busy, retry later');
    }
    this.unconfirmed++;
    try {
      await this.publisher.sendToQueue(this.queueOf(command), Buffer.from(JSON.stringify(command)), {
        persistent: true,
        contentType: 'application/json',
        messageId: command.requestId,
        // The broker itself discards a command nobody waits for any more.
        expiration: String(ttl),
        timeout: Math.max(1, Math.min(this.options.publishTimeoutMs, command.deadline - Date.now())),
      });
    } catch (err) {
      // A nack: the broker refused it (the lane is full, reject-publish). Anything else after the
      // send (a closed channel, a confirm that came too late) leaves its fate unknown.
      if ((err as Error).message === NACKED) {
        this.options.log.warn({ requestId: command.requestId }, 'command refused by the broker: the queue is full');
        throw new AppError('overloaded', 'the service is busy, retry later');
      }
      this.options.log.warn({ err, requestId: command.requestId }, 'command sent but not confirmed');
      throw new UnconfirmedCommand();
    } finally {
      this.unconfirmed--;
    }
  }

  private queueOf(command: Command): string {
    return laneOf(command.kind) === 'password' ? this.passwordQueues[roundOf(command.round)]! : this.sessionQueue;
  }

  /**
   * Read at scrape time: one passive declare per queue on the publisher's channel (which declared
   * them). The password lane's messages are those of all its rounds; its consumers, the first round queue's (every
   * worker consumes every round).
   */
  async depth(): Promise<LaneDepth[]> {
    if (!this.connection.isConnected()) throw new Error('the broker is unreachable');
    let messages = 0;
    let consumers = 0;
    for (const [round, queue] of this.passwordQueues.entries()) {
      const checked = await this.publisher.checkQueue(queue);
      messages += checked.messageCount;
      if (round === 0) consumers = checked.consumerCount;
    }
    const session = await this.publisher.checkQueue(this.sessionQueue);
    return [
      { lane: 'password', messages, consumers },
      { lane: 'session', messages: session.messageCount, consumers: session.consumerCount },
    ];
  }

  async consume(handle: (command: Command, delivery: Delivery) => Promise<void>, prefetch: Prefetch, onPoison?: PoisonHandler): Promise<void> {
    this.stopped = false;
    this.passwordConcurrency = Math.min(prefetch.password, prefetch.passwordRunning ?? prefetch.password);
    const onMessage = (channel: Channel, message: ConsumeMessage, done: () => void = () => {}) => {
      const delivery = deliveryOf(message);
      let command: Command;
      try {
        command = JSON.parse(message.content.toString('utf8')) as Command;
      } catch {
        void this.setAside(channel, message, deadLetterOf(undefined, 'unparseable', delivery.attempt, message.properties.messageId)).finally(done);
        return;
      }
      // Delivered past the limit: every earlier delivery failed or took its worker down with it.
      if (delivery.attempt > this.deliveryLimit) {
        void this.setAside(channel, message, deadLetterOf(command, 'delivery_limit', delivery.attempt), command, onPoison).finally(done);
        return;
      }
      handle(command, delivery).then(
        () => {
          settle(channel, (c) => c.ack(message));
          done();
        },
        (err: unknown) => {
          const poison = delivery.attempt >= this.deliveryLimit;
          this.options.log.error({ err, requestId: command.requestId, attempt: delivery.attempt, poison }, 'command failed');
          if (poison) void this.setAside(channel, message, deadLetterOf(command, 'delivery_limit', delivery.attempt), command, onPoison).finally(done);
          else
            setTimeout(() => {
              settle(channel, (c) => c.nack(message, false, true));
              done();
            }, RETRY_DELAY_MS);
        },
      );
    };
    // A password command waits for a free slot among those this worker runs, lowest round first.
    const onPasswordMessage = (channel: Channel, message: ConsumeMessage, round: number) => {
      this.held.push(round, {
        channel,
        run: () => onMessage(channel, message, () => this.passwordDone()),
        giveBack: () => settle(channel, (c) => c.nack(message, false, true)),
      });
      this.runHeld();
    };
    // Consumers are set up on each new channel by hand rather than with the wrapper's consume(): a
    // message must be acknowledged on the channel it came on. After a reconnect the broker has put the
    // old channel's messages back already, and an ack of an old delivery tag on the new channel would
    // close that channel (PRECONDITION_FAILED) and send its messages round again.
    const consumer = this.connection.channel('consumer', {
      setup: async (channel) => {
        await this.assertQueues(channel);
        if (this.stopped) return;
        // Commands held from a channel that has closed are the broker's again: it delivers them anew.
        this.held.drop((held) => held.channel !== channel);
        const tags: string[] = [];
        // Not global: the count applies to each consumer created after it on this channel.
        await channel.prefetch(prefetch.session, false);
        const session = await channel.consume(this.sessionQueue, (message) => {
          if (message) onMessage(channel, message);
        });
        tags.push(session.consumerTag);
        await channel.prefetch(prefetch.password, false);
        for (const [round, queue] of this.passwordQueues.entries()) {
          const { consumerTag } = await channel.consume(queue, (message) => {
            if (message) onPasswordMessage(channel, message, round);
          });
          tags.push(consumerTag);
        }
        this.consuming = { channel, tags };
      },
    });
    this.consumer = consumer;
    await consumer.waitForConnect();
  }

  /** Starts held password commands, lowest round first, while fewer than the lane's prefetch run. */
  private runHeld(): void {
    while (this.passwordRunning < this.passwordConcurrency) {
      const next = this.held.shift();
      if (!next) return;
      // A command held from a channel that has closed since: the broker hands it out again.
      if (this.consuming && this.consuming.channel !== next.channel) continue;
      this.passwordRunning++;
      next.run();
    }
  }

  private passwordDone(): void {
    this.passwordRunning--;
    this.runHeld();
  }

  /** Keeps the DeadLetter, answers the client, then acknowledges: the command leaves the queue for good. */
  private async setAside(channel: Channel, message: ConsumeMessage, letter: DeadLetter, command?: Command, onPoison?: PoisonHandler): Promise<void> {
    this.options.log.error(letter, 'command set aside as poison');
    try {
      this.deadQueueUsed = true;
      await this.assertDeadQueue(this.publisher);
      await this.publisher.sendToQueue(this.deadQueue, Buffer.from(JSON.stringify(letter)), {
        persistent: true,
        contentType: 'application/json',
        messageId: letter.requestId,
      });
    } catch (err) {
      this.options.log.error({ err, requestId: letter.requestId }, 'dead letter not kept (it is in this log line)');
    }
    if (command && onPoison)
      await onPoison(command).catch((err: unknown) => this.options.log.error({ err, requestId: letter.requestId }, 'poison command not answered'));
    settle(channel, (c) => c.ack(message));
  }

  async stopConsuming(): Promise<void> {
    this.stopped = true;
    // Held but not started: back to the broker for another worker, rather than run while stopping.
    for (let held = this.held.shift(); held; held = this.held.shift()) held.giveBack();
    const consuming = this.consuming;
    this.consuming = undefined;
    if (!consuming) return;
    await Promise.all(consuming.tags.map((tag) => consuming.channel.cancel(tag).catch(() => {})));
  }

  async ready(): Promise<boolean> {
    return this.connection.isConnected();
  }

  async waitForConnect(): Promise<void> {
    await this.publisher.waitForConnect();
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.consumer?.close().catch(() => {});
    await this.publisher.close().catch(() => {});
    await this.connection.close();
  }
}

/** An ack or nack on a channel that has closed since is moot: the broker has put the message back. */
function settle(channel: Channel, action: (channel: Channel) => void): void {
  try {
    action(channel);
  } catch {
    // IllegalOperationError: channel closed. The redelivered copy finds its result kept (worker).
  }
}
