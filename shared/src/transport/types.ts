import type { Command, CommandKind, Result } from '../protocol.ts';
import { PASSWORD_KINDS } from '../protocol.ts';

/**
 * The two cross-process paths of the flow, each with an in-process driver (all-in-one mode) and a
 * distributed one (RabbitMQ, Redis). Both drivers of a path pass the same contract tests.
 */

/** Auth commands from edges to workers. */
export interface CommandQueue {
  /** Resolves once the broker holds the command; rejects with AppError('overloaded') when it cannot take it. */
  publish(command: Command): Promise<void>;
  /**
   * Hands each command to `handle`. A resolved handler acknowledges the command; a rejected one puts it
   * back for another try, up to a delivery limit, after which it is set aside as poison.
   */
  consume(handle: (command: Command) => Promise<void>, prefetch: { password: number; session: number }): Promise<void>;
  /** Stops taking new commands; those in hand are finished by their handlers. */
  stopConsuming(): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
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
  /** Results still kept for the given requests (60 s after delivery). */
  collect(requestIds: string[]): Promise<Result[]>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export const RESULT_TTL_MS = 60_000;

export type Lane = 'password' | 'session';
export const LANES: readonly Lane[] = ['password', 'session'];

export function laneOf(kind: CommandKind): Lane {
  return PASSWORD_KINDS.has(kind) ? 'password' : 'session';
}
