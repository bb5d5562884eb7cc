import {
  AppError, newRequestId, nodeOfConnection, resultFrame, toAppError, UnconfirmedCommand,
  type CommandKind, type CommandQueue, type Logger, type ReplyTo, type Result,
} from '@authgate/shared';
import { errorReply, json, send, type Reply } from './http/respond.ts';
import { PendingRequests, type PendingTarget } from './pending.ts';
import type { Connections } from './ws/connections.ts';

export interface RelayStats {
  published: number;
  answered: number;
  timedOut: number;
  unrouted: number;
}

/**
 * The edge's half of the pipeline: publishes commands with a deadline, and routes each result that
 * arrives on this node's channel to whoever waits for it, exactly once: a waiting HTTP response, a
 * WebSocket request, or, for deferred delivery, the connection named in the command.
 */
export class Relay {
  readonly pending: PendingRequests;
  readonly stats: RelayStats = { published: 0, answered: 0, timedOut: 0, unrouted: 0 };
  /**
   * HTTP commands received and not yet either answered or pending (body, rate limits), and when the
   * last one came in: a stopping edge waits for these too, or it would exit under a request it took.
   */
  accepting = 0;
  lastAcceptedAt = 0;

  constructor(
    private readonly nodeId: string,
    private readonly queue: CommandQueue,
    private readonly connections: Connections,
    private readonly options: {
      maxPending: number;
      timeoutMs: number;
      log: Logger;
      /** Gives back a login attempt the limiter counted (LoginLimiter.refund) when the command surely never ran. */
      refundLogin?: (email: string, ip: string) => Promise<void>;
    },
  ) {
    this.pending = new PendingRequests(options.maxPending, options.timeoutMs, (requestId, target) => {
      this.stats.timedOut++;
      this.answer(requestId, target, timeoutResult(requestId, this.nodeId));
    });
  }

  /** Counts an HTTP command from its arrival; the returned function ends the count (answered or pending). */
  accept(): () => void {
    this.accepting++;
    this.lastAcceptedAt = Date.now();
    return () => {
      this.accepting--;
    };
  }

  /** Accepts a command whose answer goes to `target` on this node; failures are answered to it too. */
  submit(kind: CommandKind, body: Record<string, unknown>, ip: string, target: PendingTarget): void {
    const requestId = newRequestId();
    if (this.pending.full) {
      this.notRun(kind, body, ip);
      this.answer(requestId, target, failure(requestId, this.nodeId, new AppError('overloaded', 'too many requests in flight, retry later')));
      return;
    }
    const deadline = this.pending.add(requestId, target);
    const replyTo: ReplyTo =
      target.kind === 'ws' ? { nodeId: this.nodeId, connectionId: target.connectionId, clientId: target.clientId } : { nodeId: this.nodeId };
    this.queue.publish({ v: 1, requestId, kind, body, replyTo, deadline, meta: { ip } }).then(
      () => this.stats.published++,
      (err: unknown) => {
        // The broker may hold it: its result answers it, or the sweep does at its deadline.
        if (err instanceof UnconfirmedCommand) return;
        this.notRun(kind, body, ip);
        const waiting = this.pending.take(requestId);
        if (waiting) this.answer(requestId, waiting, failure(requestId, this.nodeId, toAppError(err)));
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
      await this.queue.publish({ v: 1, requestId, kind, body, replyTo, deadline: Date.now() + this.options.timeoutMs, meta: { ip } });
      this.stats.published++;
    } catch (err) {
      // The broker may hold it: the 202 lets the client collect a result, if one comes, as for any other.
      if (err instanceof UnconfirmedCommand) return requestId;
      this.notRun(kind, body, ip);
      throw err;
    }
    return requestId;
  }

  /** A command that surely never reached a worker: a login's counted attempt is given back. */
  private notRun(kind: CommandKind, body: Record<string, unknown>, ip: string): void {
    if (kind !== 'login' || typeof body.email !== 'string' || !this.options.refundLogin) return;
    this.options.refundLogin(body.email, ip).catch((err: unknown) => this.options.log.warn({ err }, 'login attempt not given back'));
  }

  /** Every result published on this node's channel comes through here. */
  onResult = (result: Result): void => {
    const waiting = this.pending.take(result.requestId);
    if (waiting) {
      this.answer(result.requestId, waiting, result);
      return;
    }
    const { connectionId, clientId, deferred } = result.replyTo;
    if (deferred && connectionId && clientId && this.connections.send(connectionId, JSON.stringify(resultFrame(clientId, result)))) {
      this.stats.answered++;
      return;
    }
    // No one here waits: the request timed out, its client left, or it was answered already.
    this.stats.unrouted++;
  };

  private answer(requestId: string, target: PendingTarget, result: Result): void {
    this.stats.answered++;
    if (target.kind === 'ws') {
      const ws = this.connections.get(target.connectionId);
      ws?.getUserData().inFlight.delete(target.clientId);
      this.connections.send(target.connectionId, JSON.stringify(resultFrame(target.clientId, result)));
      this.connections.settled(target.connectionId);
      return;
    }
    if (target.state.aborted) return;
    const reply = httpReply(requestId, result);
    target.res.cork(() => send(target.res, reply));
  }
}

export function httpReply(requestId: string, result: Result): Reply {
  if (result.ok) return result.data === undefined ? { status: result.status } : json(result.status, result.data);
  return errorReply({ ...result.error, requestId }, result.status);
}

function failure(requestId: string, nodeId: string, err: AppError): Result {
  return { requestId, replyTo: { nodeId }, ok: false, status: err.status, error: err.toPayload() };
}

function timeoutResult(requestId: string, nodeId: string): Result {
  return failure(requestId, nodeId, new AppError('timeout', 'no result within the request deadline'));
}
