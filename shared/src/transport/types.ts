import { AppError } from '../errors.ts';
import type { Command, CommandKind, Result } from '../protocol.ts';
import { COMMAND_KINDS, PASSWORD_KINDS } from '../protocol.ts';

/**
 * The two cross-process paths of the flow, each with an in-process driver (all-in-one mode) and a
 * distributed one (RabbitMQ, Redis). Both drivers of a path pass the same contract tests.
 */

/** How often a command has been handed out, as far as the broker can tell. */
export interface Delivery {
  /**
   * 1 on the first delivery. Quorum queues count every return exactly (`x-delivery-count`); classic
   * queues and the in-process queue only tell a first delivery (1) from a later one (2 or more).
   */
  attempt: number;
}

/**
 * What is kept of a command set aside as poison: who asked what, never the body (a password) nor the
 * connectionId (the handle to a connection's results).
 */
export interface DeadLetter {
  requestId: string;
  kind: CommandKind | 'unknown';
  nodeId: string | undefined;
  reason: 'delivery_limit' | 'unparseable';
  attempts: number;
  at: string;
}

/** Answers the client of a command set aside as poison. */
export type PoisonHandler = (command: Command) => Promise<void>;

/**
 * Thrown by `publish` for a command the broker may or may not hold: it was sent, but its confirm never
 * came (the connection dropped, or the confirm was late). `overloaded` would invite the client to retry
 * a command that may still run (a refresh run twice revokes its session), so the request is answered
 * by its result if one comes, else by `timeout` at its deadline.
 */
export class UnconfirmedCommand extends AppError {
  constructor() {
    super('timeout', 'no result within the request deadline');
    this.name = 'UnconfirmedCommand';
  }
}

/** Auth commands from edges to workers. */
export interface CommandQueue {
  /**
   * Resolves once the broker holds the command; rejects with AppError('overloaded') when it surely
   * does not (unreachable, or full), and with UnconfirmedCommand when it cannot be told.
   */
  publish(command: Command): Promise<void>;
  /**
   * Hands each command to `handle`. A resolved handler acknowledges the command; a rejected one puts it
   * back for another try. A command that has been delivered `deliveryLimit` times is set aside as
   * poison: a DeadLetter copy is kept and `onPoison` answers its client.
   */
  consume(handle: (command: Command, delivery: Delivery) => Promise<void>, prefetch: Prefetch, onPoison?: PoisonHandler): Promise<void>;
  /** Stops taking new commands; those in hand are finished by their handlers. */
  stopConsuming(): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
  /** Commands waiting and consumers attached, per lane (metrics: read at scrape time). */
  depth(): Promise<LaneDepth[]>;
  /** Publishes sent and not yet confirmed by the broker (always 0 in-process). */
  readonly unconfirmed: number;
}

/** How many commands of each lane a worker holds at once. */
export interface Prefetch {
  password: number;
  session: number;
  /**
   * How many of the held password commands run at once (default: all of them). One per bcrypt thread:
   * a command started beyond that waits in the thread pool's own queue, in arrival order, where a
   * round-0 command arriving later can no longer pass it; held back here, it is started lowest round
   * first as soon as a thread frees.
   */
  passwordRunning?: number;
}

export interface LaneDepth {
  lane: Lane;
  /** Commands ready for delivery (RabbitMQ's message count; not those handed out unacknowledged). */
  messages: number;
  consumers: number;
}

export type ResultHandler = (result: Result) => void;

/** Results from workers back to the edge node that holds the client. */
export interface ResultBus {
  /**
   * Publishes the result once, on the channel of `result.replyTo.nodeId`, and keeps it for later
   * collection. Returns false without publishing if this request already has a result (redelivery).
   */
  deliver(result: Result): Promise<boolean>;
  /**
   * Listens on one node's own channel. `onResync` runs after the subscription was re-established:
   * results published meanwhile were missed and are to be collected with `collect`.
   */
  subscribe(nodeId: string, onResult: ResultHandler, onResync?: () => void): Promise<void>;
  /**
   * Results still kept for the given requests of node `nodeId` (60 s after delivery). A result is kept
   * beside its node's channel (in a Redis Cluster: in the same slot), so the node is part of its address.
   */
  collect(nodeId: string, requestIds: string[]): Promise<Result[]>;
  /**
   * Hands out, once, the kept result of `requestId` if it was addressed to `connectionId`, and removes
   * it in the same atomic step: two collectors never both get it, and a copy of the handles
   * (requestId and connectionId) is worth nothing afterwards. Another connection's try removes nothing.
   */
  take(requestId: string, connectionId: string): Promise<Result | undefined>;
  /** Whether a result of this request (for node `nodeId`) was delivered in the last 60 s, whether or not it was taken since. */
  answered(nodeId: string, requestId: string): Promise<boolean>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export const RESULT_TTL_MS = 60_000;

/** What a dead letter keeps of a command (or of anything that arrived as one: it may be malformed). */
export function deadLetterOf(command: unknown, reason: DeadLetter['reason'], attempts: number, messageId?: string): DeadLetter {
  const c = (typeof command === 'object' && command !== null ? command : {}) as { requestId?: unknown; kind?: unknown; replyTo?: { nodeId?: unknown } };
  const text = (v: unknown) => (typeof v === 'string' && v.length <= 64 ? v : undefined);
  return {
    requestId: text(c.requestId) ?? text(messageId) ?? 'unknown',
    kind: (COMMAND_KINDS as readonly unknown[]).includes(c.kind) ? (c.kind as CommandKind) : 'unknown',
    nodeId: text(c.replyTo?.nodeId),
    reason,
    attempts,
    at: new Date().toISOString(),
  };
}

export type Lane = 'password' | 'session';
export const LANES: readonly Lane[] = ['password', 'session'];

export function laneOf(kind: CommandKind): Lane {
  return PASSWORD_KINDS.has(kind) ? 'password' : 'session';
}

/**
 * The password lane is served round by round, so that its work is shared fairly between client
 * sources (docs/shared-addresses.md). A command's round is how many register/login commands of its
 * source were already in flight when it was admitted (security/password-work.ts): a source's first
 * command is in the first round (numbered 0), its second in the next, and so on. Workers take every command of a lower
 * round before any of a higher one, first come first served within a round. So a source with one
 * login waiting goes ahead of the 2nd..nth of a source that has many, and a source alone on an idle
 * lane still gets all of it: nothing waits for a round to be "its turn".
 *
 * Start-time fair queuing with every command costing the same (one bcrypt), rather than deficit
 * round-robin over per-source queues: the rounds are a handful of broker queues whatever the number
 * of sources, the edge computes a command's round with the one counter it already keeps per source,
 * and no process has to hold or visit a queue per source. Rounds from PASSWORD_ROUNDS - 1 up share
 * the last queue: past that many commands in flight, heavy sources are served in arrival order among
 * themselves, while every lighter source still goes ahead of them.
 */
export const PASSWORD_ROUNDS = 8;

/** The round a command is served in, from how many of its source's commands were in flight before it. */
export function roundOf(heldBefore: number | undefined): number {
  if (heldBefore === undefined || !Number.isInteger(heldBefore) || heldBefore < 0) return 0;
  return Math.min(heldBefore, PASSWORD_ROUNDS - 1);
}

/**
 * Commands of one lane, each in its round: taken lowest round first, in arrival order within a
 * round. Both queue drivers' workers pick the next password command to run with it.
 */
export class RoundBuckets<T> {
  private readonly buckets: T[][] = Array.from({ length: PASSWORD_ROUNDS }, () => []);
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(round: number, item: T): void {
    this.buckets[roundOf(round)]!.push(item);
    this.count++;
  }

  /** The first item of the lowest round that has one. */
  shift(): T | undefined {
    for (const bucket of this.buckets) {
      if (bucket.length > 0) {
        this.count--;
        return bucket.shift();
      }
    }
    return undefined;
  }

  /** Drops every item `stale` says is gone (a consumer channel that closed: the broker delivers them again). */
  drop(stale: (item: T) => boolean): void {
    for (const bucket of this.buckets) {
      const kept = bucket.filter((item) => !stale(item));
      this.count -= bucket.length - kept.length;
      bucket.splice(0, bucket.length, ...kept);
    }
  }
}
