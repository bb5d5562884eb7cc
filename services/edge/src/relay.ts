import { AppError, toAppError } from '@authgate/shared/errors';
import { newRequestId, nodeOfConnection } from '@authgate/shared/ids';
import type { Logger } from '@authgate/shared/logger';
import type { CommandKind, ReplyTo, Result } from '@authgate/shared/protocol';
import { UnconfirmedCommand, type CommandQueue } from '@authgate/shared/transport/types';
import { PendingRequests } from './pending.ts';

/** Whoever waits on this node for a result: it writes its own answer (an HTTP response, a WebSocket request). */
export interface ResultTarget {
  /** Called exactly once, with the result or with the error that ended the request. */
  deliver(result: Result): void;
  /** The WebSocket connection and client id a result is kept under, if the target is one. */
  readonly connection?: { connectionId: string; clientId: string } | undefined;
}

/** Pushes a deferred result to a connection this node holds; false if it holds none by that id. */
export type DeferredSink = (connectionId: string, clientId: string, result: Result) => boolean;

export interface RelayStats {
  published: number;
  answered: number;
  timedOut: number;
  unrouted: number;
}

/**
 * The edge's half of the pipeline: publishes commands with a deadline, and routes each result that
 * arrives on this node's channel to whoever waits for it, exactly once: a target waiting on this node,
 * or, for deferred delivery, the connection named in the command.
 */
export class Relay {
  readonly pending: PendingRequests<ResultTarget>;
  readonly stats: RelayStats = { published: 0, answered: 0, timedOut: 0, unrouted: 0 };

  constructor(
    private readonly nodeId: string,
    private readonly queue: CommandQueue,
    private readonly deferredSink: DeferredSink,
    private readonly options: {
      maxPending: number;
      timeoutMs: number;
      log: Logger;
      /** A command that surely never reached a worker (Admission.notRun). */
      notRun: (kind: CommandKind, body: Record<string, unknown>, ip: string) => Promise<void>;
    },
  ) {
    this.pending = new PendingRequests(options.maxPending, options.timeoutMs, (requestId, target) => {
      this.stats.timedOut++;
      this.answer(target, failure(requestId, this.nodeId, new AppError('timeout', 'no result within the request deadline')));
    });
  }

  /** Accepts a command whose answer goes to `target` on this node; failures are answered to it too. */
  submit(kind: CommandKind, body: Record<string, unknown>, ip: string, target: ResultTarget): void {
    const requestId = newRequestId();
    if (this.pending.full) {
      this.notRun(kind, body, ip);
      this.answer(target, failure(requestId, this.nodeId, new AppError('overloaded', 'too many requests in flight, retry later')));
      return;
    }
    const deadline = this.pending.add(requestId, target);
    const replyTo: ReplyTo = target.connection ? { nodeId: this.nodeId, ...target.connection } : { nodeId: this.nodeId };
    this.queue.publish({ v: 1, requestId, kind, body, replyTo, deadline, meta: { ip }, sentAt: Date.now() }).then(
      () => this.stats.published++,
      (err: unknown) => {
        // The broker may hold it: its result answers it, or the sweep does at its deadline.
        if (err instanceof UnconfirmedCommand) return;
        this.notRun(kind, body, ip);
        const waiting = this.pending.take(requestId);
        if (waiting) this.answer(waiting, failure(requestId, this.nodeId, toAppError(err)));
      },
    );
  }

  /**
   * Deferred delivery: the result is pushed to `connectionId`, wherever it lives, and kept for
   * collection. Resolves with the requestId once the queue holds the command.
   */
  async submitDeferred(kind: CommandKind, body: Record<string, unknown>, ip: string, connectionId: string): Promise<string> {
    const requestId = newRequestId();
    try {
      const owner = nodeOfConnection(connectionId);
      if (!owner) throw new AppError('invalid_request', 'X-Connection-Id is not a valid connection id', { details: [{ path: 'X-Connection-Id', message: 'must be a connectionId from a welcome message' }] });
      const replyTo: ReplyTo = { nodeId: owner, connectionId, clientId: requestId, deferred: true };
      await this.queue.publish({ v: 1, requestId, kind, body, replyTo, deadline: Date.now() + this.options.timeoutMs, meta: { ip }, sentAt: Date.now() });
      this.stats.published++;
    } catch (err) {
      // The broker may hold it: the 202 lets the client collect a result, if one comes, as for any other.
      if (err instanceof UnconfirmedCommand) return requestId;
      this.notRun(kind, body, ip);
      throw err;
    }
    return requestId;
  }

  private notRun(kind: CommandKind, body: Record<string, unknown>, ip: string): void {
    this.options.notRun(kind, body, ip).catch((err: unknown) => this.options.log.warn({ err }, 'login attempt not given back'));
  }

  /** Every result published on this node's channel comes through here. */
  onResult = (result: Result): void => {
    const waiting = this.pending.take(result.requestId);
    if (waiting) {
      this.answer(waiting, result);
      return;
    }
    const { connectionId, clientId, deferred } = result.replyTo;
    if (deferred && connectionId && clientId && this.deferredSink(connectionId, clientId, result)) {
      this.stats.answered++;
      return;
    }
    // No one here waits: the request timed out, its client left, or it was answered already.
    this.stats.unrouted++;
  };

  private answer(target: ResultTarget, result: Result): void {
    this.stats.answered++;
    target.deliver(result);
  }
}

function failure(requestId: string, nodeId: string, err: AppError): Result {
  return { requestId, replyTo: { nodeId }, ok: false, status: err.status, error: err.toPayload() };
}
