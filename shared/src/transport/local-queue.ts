import { AppError } from '../errors.ts';
import type { Command } from '../protocol.ts';
import { laneOf, LANES, type CommandQueue, type Lane } from './types.ts';

/** As with the RabbitMQ driver's classic queues: a failed command gets one more try, then it is poison. */
const DELIVERY_LIMIT = 2;

interface Entry {
  command: Command;
  deliveries: number;
}

/** One lane of the in-process queue: bounded, FIFO, at most `prefetch` commands in hand at once. */
class LocalLane {
  readonly items: Entry[] = [];
  inFlight = 0;
  prefetch = 0;
  handler: ((command: Command) => Promise<void>) | undefined;

  constructor(readonly maxLength: number, readonly onPoison: (command: Command) => void) {}

  push(entry: Entry): void {
    this.items.push(entry);
    this.pump();
  }

  pump(): void {
    while (this.handler && this.inFlight < this.prefetch && this.items.length > 0) {
      const entry = this.items.shift()!;
      this.inFlight++;
      entry.deliveries++;
      this.handler(entry.command).then(
        () => this.settle(),
        () => {
          if (entry.deliveries >= DELIVERY_LIMIT) this.onPoison(entry.command);
          else this.items.push(entry);
          this.settle();
        },
      );
    }
  }

  private settle(): void {
    this.inFlight--;
    // setImmediate, not a loop: a handler that fails at once must not starve the event loop.
    setImmediate(() => this.pump());
  }
}

/**
 * In-process driver of CommandQueue for the all-in-one mode: the same lanes, bounds, acknowledgement
 * and delivery limit as the RabbitMQ driver, without a broker.
 */
export class LocalCommandQueue implements CommandQueue {
  private readonly lanes: Record<Lane, LocalLane>;
  readonly poisoned: Command[] = [];
  private closed = false;

  constructor(maxLength: number) {
    const onPoison = (command: Command) => this.poisoned.push(command);
    this.lanes = { password: new LocalLane(maxLength, onPoison), session: new LocalLane(maxLength, onPoison) };
  }

  async publish(command: Command): Promise<void> {
    if (this.closed) throw new AppError('overloaded', 'the command queue is closed');
    if (command.deadline <= Date.now()) throw new AppError('timeout', 'the request expired before it was queued');
    const lane = this.lanes[laneOf(command.kind)];
    if (lane.items.length >= lane.maxLength) throw new AppError('overloaded', 'the command queue is full');
    lane.push({ command, deliveries: 0 });
  }

  async consume(handle: (command: Command) => Promise<void>, prefetch: { password: number; session: number }): Promise<void> {
    for (const name of LANES) {
      const lane = this.lanes[name];
      lane.handler = handle;
      lane.prefetch = prefetch[name];
      lane.pump();
    }
  }

  async stopConsuming(): Promise<void> {
    for (const name of LANES) this.lanes[name].handler = undefined;
  }

  async ready(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopConsuming();
  }
}
