import { AppError } from '../errors.ts';
import type { Command } from '../protocol.ts';
import {
  deadLetterOf,
  laneOf,
  LANES,
  RoundBuckets,
  roundOf,
  type CommandQueue,
  type DeadLetter,
  type Delivery,
  type Lane,
  type LaneDepth,
  type PoisonHandler,
  type Prefetch,
} from './types.ts';

/** As with the RabbitMQ driver's classic queues: a failed command gets one more try, then it is poison. */
const DELIVERY_LIMIT = 2;
/** Dead letters kept in memory for a look (tests, an operator in the all-in-one mode): the latest ones. */
const DEAD_LETTERS_KEPT = 1_000;

interface Entry {
  command: Command;
  deliveries: number;
}

type Handler = (command: Command, delivery: Delivery) => Promise<void>;

/**
 * One lane of the in-process queue: bounded, at most `prefetch` commands in hand at once, taken lowest
 * round first and in arrival order within a round (transport/types.ts PASSWORD_ROUNDS: session
 * commands have no round, so that lane is FIFO). The bound is per round, as each round is its own
 * queue on RabbitMQ.
 */
class LocalLane {
  readonly items = new RoundBuckets<Entry>();
  private readonly perRound = new Map<number, number>();
  inFlight = 0;
  prefetch = 0;
  handler: Handler | undefined;

  constructor(
    readonly maxLength: number,
    readonly onPoison: (command: Command, deliveries: number) => void,
  ) {}

  /** False, and nothing queued, when the command's round already holds maxLength commands. */
  offer(entry: Entry): boolean {
    const round = roundOf(entry.command.round);
    if ((this.perRound.get(round) ?? 0) >= this.maxLength) return false;
    this.enqueue(entry);
    this.pump();
    return true;
  }

  private enqueue(entry: Entry): void {
    const round = roundOf(entry.command.round);
    this.perRound.set(round, (this.perRound.get(round) ?? 0) + 1);
    this.items.push(round, entry);
  }

  pump(): void {
    while (this.handler && this.inFlight < this.prefetch && this.items.size > 0) {
      const entry = this.items.shift()!;
      const round = roundOf(entry.command.round);
      this.perRound.set(round, this.perRound.get(round)! - 1);
      this.inFlight++;
      entry.deliveries++;
      this.handler(entry.command, { attempt: entry.deliveries }).then(
        () => this.settle(),
        () => {
          if (entry.deliveries >= DELIVERY_LIMIT) this.onPoison(entry.command, entry.deliveries);
          else this.enqueue(entry);
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
export class MemoryCommandQueue implements CommandQueue {
  private readonly lanes: Record<Lane, LocalLane>;
  /** What is kept of poison commands: as in RabbitMQ's `<ns>.cmd.dead`, never their bodies. */
  readonly deadLetters: DeadLetter[] = [];
  private poisonHandler: PoisonHandler | undefined;
  private closed = false;
  /** Nothing to confirm: a command is held once `publish` returns. */
  readonly unconfirmed = 0;

  constructor(maxLength: number) {
    const onPoison = (command: Command, deliveries: number) => {
      this.deadLetters.push(deadLetterOf(command, 'delivery_limit', deliveries));
      if (this.deadLetters.length > DEAD_LETTERS_KEPT) this.deadLetters.shift();
      this.poisonHandler?.(command).catch(() => {});
    };
    this.lanes = { password: new LocalLane(maxLength, onPoison), session: new LocalLane(maxLength, onPoison) };
  }

  async publish(command: Command): Promise<void> {
    if (this.closed) throw new AppError('overloaded', 'the command queue is closed');
    if (command.deadline <= Date.now()) throw new AppError('timeout', 'the request expired before it was queued');
    const lane = this.lanes[laneOf(command.kind)];
    if (!lane.offer({ command, deliveries: 0 })) throw new AppError('overloaded', 'the command queue is full');
  }

  async consume(handle: Handler, prefetch: Prefetch, onPoison?: PoisonHandler): Promise<void> {
    this.poisonHandler = onPoison;
    for (const name of LANES) {
      const lane = this.lanes[name];
      lane.handler = handle;
      lane.prefetch = name === 'password' ? Math.min(prefetch.password, prefetch.passwordRunning ?? prefetch.password) : prefetch[name];
      lane.pump();
    }
  }

  async stopConsuming(): Promise<void> {
    for (const name of LANES) this.lanes[name].handler = undefined;
  }

  async ready(): Promise<boolean> {
    return !this.closed;
  }

  async depth(): Promise<LaneDepth[]> {
    return LANES.map((lane) => ({ lane, messages: this.lanes[lane].items.size, consumers: this.lanes[lane].handler ? 1 : 0 }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopConsuming();
  }
}
