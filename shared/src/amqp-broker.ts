import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import type { Logger } from './logger.ts';

export interface BrokerChannelOptions {
  /** Publishes resolve only once the broker confirms them (they count as queued only then). */
  confirm?: boolean;
  /** How long a confirm-channel publish may wait for the broker. */
  publishTimeoutMs?: number;
  /** Declares the topology (and starts consumers): run again on every channel the wrapper reopens. */
  setup: (channel: Channel) => Promise<unknown>;
}

/**
 * A connection to RabbitMQ, or to a cluster's nodes in turn: how the command queue, the event bus and
 * the mail queue drivers each open theirs. amqp-connection-manager reconnects and reopens every channel after
 * any loss; this adds what each driver needs on top: knowing within a bound whether the broker is back,
 * so that a publish answers `overloaded` rather than sit in the wrapper's resend buffer.
 */
export class BrokerConnection {
  private readonly manager: AmqpConnectionManager;
  /** Settles when the connection is (back) up; replaced on each loss. */
  private connected: Promise<void>;
  private onConnected: (() => void) | undefined;

  constructor(
    url: string | readonly string[],
    private readonly label: string,
    private readonly log: Logger,
  ) {
    this.connected = new Promise((resolve) => (this.onConnected = resolve));
    this.manager = amqp.connect(typeof url === 'string' ? [url] : [...url], {
      heartbeatIntervalInSeconds: 5,
      reconnectTimeInSeconds: 1,
      // Without TCP_NODELAY, Nagle's algorithm and the broker's delayed ACKs hold small frames ~40 ms.
      connectionOptions: { noDelay: true },
    });
    this.manager.on('disconnect', ({ err }) => {
      log.warn({ err }, `amqp (${label}) disconnected`);
      if (!this.onConnected) this.connected = new Promise((resolve) => (this.onConnected = resolve));
    });
    this.manager.on('connect', () => {
      log.info(`amqp (${label}) connected`);
      this.onConnected?.();
      this.onConnected = undefined;
    });
  }

  channel(name: string, options: BrokerChannelOptions): ChannelWrapper {
    const wrapper = this.manager.createChannel({
      name,
      confirm: options.confirm ?? false,
      publishTimeout: options.publishTimeoutMs,
      setup: options.setup,
    });
    // A setup that fails (a queue's node away) is tried again when the channel reopens: logged, not fatal.
    wrapper.on('error', (err) => this.log.warn({ err }, `amqp (${this.label}) ${name} channel setup failed`));
    return wrapper;
  }

  isConnected(): boolean {
    return this.manager.isConnected();
  }

  /** Whether the connection is up now or comes back within `ms`. */
  connectedWithin(ms: number): Promise<boolean> {
    if (this.manager.isConnected()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void this.connected.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): Promise<void> {
    return this.manager.close();
  }
}
