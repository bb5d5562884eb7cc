import { AppError, toAppError } from '@authgate/shared/errors';
import { nodeOfConnection } from '@authgate/shared/ids';
import type { Logger } from '@authgate/shared/logger';
import type { Command, ReplyTo, Result } from '@authgate/shared/protocol';
import type { ResultSealing } from '@authgate/shared/security/result-seal';
import { UnconfirmedCommand, type CommandQueue } from '@authgate/shared/transport/types';
import type { Admitted } from './admission.ts';
import type { LaneThroughput } from './lane-throughput.ts';
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
/** The longest an answer waits for its password unit to be given back (see `answer`). */
const RELEASE_WAIT_MS = 100;

export class Relay {
  readonly pending: PendingRequests<ResultTarget>;
  readonly stats: RelayStats = { published: 0, answered: 0, timedOut: 0, unrouted: 0 };
  /** Requests waiting here that hold a unit of their source's password work: requestId → the client's address and the command's round. */
  private readonly holdingUnits = new Map<string, { ip: string; round: number | undefined }>();

  constructor(
    private readonly nodeId: string,
    private readonly queue: CommandQueue,
    private readonly deferredSink: DeferredSink,
    private readonly options: {
      maxPending: number;
      timeoutMs: number;
      log: Logger;
      /** Each command carries its result's sealing key; each result is opened here before it is answered. */
      sealing: ResultSealing;
      /** A command that surely never reached a worker (Admission.notRun). */
      notRun: (admitted: Admitted) => Promise<void>;
      /** The answer of a request has come, wherever it goes (Admission.answered: its password unit is free). */
      answered: (requestId: string, ip?: string) => Promise<void>;
      /** The password lane's wait as this edge sees it (Admission counts a command in; it is counted out here when answered). */
      passwordLane?: LaneThroughput | undefined;
    },
  ) {
    this.pending = new PendingRequests(options.maxPending, options.timeoutMs, (requestId, target) => {
      this.stats.timedOut++;
      this.answer(target, failure(requestId, this.nodeId, new AppError('timeout', 'no result within the request deadline')));
    });
  }

  /** Accepts a command whose answer goes to `target` on this node; failures are answered to it too. */
  submit(admitted: Admitted, target: ResultTarget): void {
    const { requestId } = admitted;
    if (this.pending.full) {
      this.notRun(admitted);
      this.target(target, failure(requestId, this.nodeId, new AppError('overloaded', 'too many requests in flight, retry later')));
      return;
    }
    const deadline = this.pending.add(requestId, target);
    if (admitted.holdsUnit) this.holdingUnits.set(requestId, { ip: admitted.ip, round: admitted.round });
    const replyTo: ReplyTo = target.connection ? { nodeId: this.nodeId, ...target.connection } : { nodeId: this.nodeId };
    this.queue.publish(this.command(admitted, replyTo, deadline)).then(
      () => this.stats.published++,
      (err: unknown) => {
        // The broker may hold it: its result answers it, or the sweep does at its deadline.
        if (err instanceof UnconfirmedCommand) return;
        this.notRun(admitted);
        const waiting = this.pending.take(requestId);
        if (!waiting) return; // answered meanwhile: its deadline passed
        this.holdingUnits.delete(requestId);
        this.target(waiting, failure(requestId, this.nodeId, toAppError(err)));
      },
    );
  }

  /**
   * A command the edge answers itself (ACCEPTED_AT_EDGE), at once: the answer is sent before the
   * command is published, so neither it nor its time can depend on anything the address leads
   * to (a worker's database work, a mail queued on the same broker whose confirm the answer would
   * otherwise wait behind). The worker's result, whenever it comes, is taken by a target that answers
   * no one. A publish that fails is logged: the client, told 202, asks again if no mail comes.
   * Throws `overloaded` only when too many requests wait here (the same for every address).
   */
  submitAccepted(admitted: Admitted): void {
    if (this.pending.full) {
      this.notRun(admitted);
      throw new AppError('overloaded', 'too many requests in flight, retry later');
    }
    const deadline = this.pending.add(admitted.requestId, { deliver: () => {} });
    // uWebSockets.js sends a corked answer when the event loop turns: published on the next turn, the
    // command cannot start a worker beside this edge (the all-in-one) before the answer is out.
    setTimeout(() => this.publishAccepted(admitted, deadline), 0);
  }

  private publishAccepted(admitted: Admitted, deadline: number): void {
    const { kind, requestId } = admitted;
    this.queue.publish(this.command(admitted, { nodeId: this.nodeId }, deadline)).then(
      () => this.stats.published++,
      (err: unknown) => {
        if (err instanceof UnconfirmedCommand) return; // the broker may hold it
        this.pending.take(requestId);
        this.notRun(admitted);
        this.options.log.warn({ err, requestId, kind }, 'an accepted command was not queued');
      },
    );
  }

  /**
   * Deferred delivery: the result is pushed to `connectionId`, wherever it lives, and kept for
   * collection. Resolves with the requestId once the queue holds the command.
   */
  async submitDeferred(admitted: Admitted, connectionId: string): Promise<string> {
    const { requestId } = admitted;
    try {
      const owner = nodeOfConnection(connectionId);
      if (!owner)
        throw new AppError('invalid_request', 'X-Connection-Id is not a valid connection id', {
          details: [{ path: 'X-Connection-Id', message: 'must be a connectionId from a welcome message' }],
        });
      const replyTo: ReplyTo = { nodeId: owner, connectionId, clientId: requestId, deferred: true };
      await this.queue.publish(this.command(admitted, replyTo, Date.now() + this.options.timeoutMs));
      this.stats.published++;
      // Its result may come to another edge: this one stops counting it on the lane once it is queued.
      if (admitted.holdsUnit) this.options.passwordLane?.left(false, Date.now(), admitted.round);
    } catch (err) {
      // The broker may hold it: the 202 lets the client collect a result, if one comes, as for any other.
      if (err instanceof UnconfirmedCommand) return requestId;
      this.notRun(admitted);
      throw err;
    }
    return requestId;
  }

  /** The command as it goes on the queue: its key to seal the result with, where the result goes, until when. */
  private command(admitted: Admitted, replyTo: ReplyTo, deadline: number): Command {
    const { kind, body, requestId } = admitted;
    return {
      v: 1,
      requestId,
      kind,
      body,
      replyTo,
      deadline,
      meta: metaOf(admitted),
      resultSecret: this.options.sealing.secretFor(requestId),
      sentAt: Date.now(),
      ...(admitted.round === undefined ? {} : { round: admitted.round }),
    };
  }

  private notRun(admitted: Admitted): void {
    this.options.notRun(admitted).catch((err: unknown) => this.options.log.warn({ err }, 'login attempt not given back'));
  }

  /** Gives the request's password unit back; a store that fails is logged (the unit frees itself at its deadline). */
  private answered(requestId: string, ip?: string): Promise<void> {
    return this.options.answered(requestId, ip).catch((err: unknown) => this.options.log.warn({ err }, 'password work unit not given back'));
  }

  /** Every result published on this node's channel comes through here. */
  onResult = (sealed: Result): void => {
    const result = this.opened(sealed);
    const waiting = this.pending.take(result.requestId);
    if (waiting) {
      this.answer(waiting, result, true);
      return;
    }
    const { connectionId, clientId, deferred } = result.replyTo;
    // A deferred request was counted by whichever edge accepted it: its unit is given back here.
    if (deferred) void this.answered(result.requestId);
    if (deferred && connectionId && clientId && this.deferredSink(connectionId, clientId, result)) {
      this.stats.answered++;
      return;
    }
    // No one here waits: the request timed out, its client left, or it was answered already.
    this.stats.unrouted++;
  };

  /** A result whose body does not open (altered, or sealed under another deployment's secret) answers `internal`. */
  opened(result: Result): Result {
    try {
      return this.options.sealing.open(result);
    } catch {
      this.options.log.error({ requestId: result.requestId }, 'a result did not open: altered, or RESULT_SEALING_SECRET differs between edges');
      return { ...failure(result.requestId, this.nodeId, new AppError('internal', 'the result could not be read')), replyTo: result.replyTo };
    }
  }

  /** Every answer of a request waiting on this node ends here: its result, its timeout or its failure. */
  private answer(target: ResultTarget, result: Result, fromWorker = false): void {
    const held = this.holdingUnits.get(result.requestId);
    if (held === undefined) {
      this.target(target, result);
      return;
    }
    this.holdingUnits.delete(result.requestId);
    this.options.passwordLane?.left(fromWorker, Date.now(), held.round);
    // The unit is given back before the client hears the answer: a client that sends its next login
    // the moment it has this one's answer must not find its own unit still held (at its source's
    // bound it would get 429; below it, its next command would be stamped a round too late). A slow
    // store holds the answer back no longer than RELEASE_WAIT_MS; the unit then frees itself at its
    // deadline at the latest.
    let sent = false;
    const send = () => {
      if (sent) return;
      sent = true;
      clearTimeout(timer);
      this.target(target, result);
    };
    const timer = setTimeout(send, RELEASE_WAIT_MS);
    this.answered(result.requestId, held.ip).finally(send);
  }

  private target(target: ResultTarget, result: Result): void {
    this.stats.answered++;
    target.deliver(result);
  }
}

/** What the worker learns of the request besides its body: the client's address and agent, and the verified session. */
function metaOf(admitted: Admitted): Command['meta'] {
  return { ip: admitted.ip, ...(admitted.userAgent ? { userAgent: admitted.userAgent } : {}), ...(admitted.auth ? { auth: admitted.auth } : {}) };
}

function failure(requestId: string, nodeId: string, err: AppError): Result {
  return { requestId, replyTo: { nodeId }, ok: false, status: err.status, error: err.toPayload() };
}
