import { z } from 'zod';
import { AppError } from '@authgate/shared/errors';
import type { Logger } from '@authgate/shared/logger';
import { commandSchema, fieldIssues, type Command, type CommandKind, type Result } from '@authgate/shared/protocol';
import { sealResult } from '@authgate/shared/security/result-seal';
import type { Delivery, ResultBus } from '@authgate/shared/transport/types';
import { AlreadyAnswered } from './already-answered.ts';
import type { WorkerContext } from './context.ts';
import type { BoundHandler } from './feature.ts';

export interface ConsumerStats {
  handled: number;
  expired: number;
  duplicates: number;
  malformed: number;
}

const FIRST_DELIVERY: Delivery = { attempt: 1 };

/** What a command's handling came to: its result, and whether it was delivered (undefined: deadline passed). */
export interface Handled {
  /** Undefined when the command had been run already and nothing was delivered. */
  result: Result | undefined;
  delivered: boolean | undefined;
}

/**
 * Measures each command that runs (metrics, a span): `work` runs the handler and delivers the result;
 * the traceparent it is given is carried in the result.
 */
export interface CommandObserver {
  around(command: Command, work: (traceparent?: string) => Promise<Handled>): Promise<Handled>;
}

/**
 * Turns one command into exactly one result on the requesting node's channel. Domain errors become
 * error results; a dependency failure becomes `overloaded` rather than silence. The handler runs once
 * per delivery and its result is delivered with retries until the command's deadline: a result store
 * that is away for a moment must not make the command run again (a refresh run twice would look
 * like a stolen token). A redelivered command whose result is kept already is not run again.
 */
export function createCommandConsumer(
  ctx: WorkerContext,
  /** The features' handlers bound to their drivers (feature.ts loadHandlers: loaded before consuming, a missing one stops the worker at start). */
  handlers: Readonly<Record<CommandKind, BoundHandler>>,
  results: ResultBus,
  stats: ConsumerStats,
  observer?: CommandObserver,
) {
  return async function consume(raw: Command, delivery: Delivery = FIRST_DELIVERY): Promise<void> {
    const parsed = commandSchema.safeParse(raw);
    if (!parsed.success) {
      stats.malformed++;
      ctx.log.error({ issues: fieldIssues(parsed.error) }, 'malformed command dropped');
      return;
    }
    const command = parsed.data;
    if (Date.now() > command.deadline) {
      // Nobody waits for this answer any more: hashing for a client that has gone wastes a core.
      stats.expired++;
      return;
    }
    // Run at most once. A redelivered command: its worker died or lost the broker after answering,
    // before the acknowledgement. A refresh may also come twice on a first delivery (a publisher
    // re-sends what the broker did not confirm before a lost connection): its rotation step knows the
    // requestIds that rotated the session and says so (AlreadyAnswered), without a round trip here.
    if (delivery.attempt > 1) {
      const answered = await untilDeadline(command, ctx.log, 'result lookup', () => results.answered(command.replyTo.nodeId, command.requestId));
      if (answered === undefined) {
        stats.expired++;
        return;
      }
      if (answered) {
        stats.duplicates++;
        return;
      }
    }
    const started = Date.now();
    const work = async (traceparent?: string): Promise<Handled> => {
      const result = await run(command, handlers[command.kind], ctx, traceparent);
      if (result === ALREADY_ANSWERED) return { result: undefined, delivered: false };
      return { result, delivered: await untilDeadline(command, ctx.log, 'result delivery', () => results.deliver(result)) };
    };
    const { result, delivered } = observer ? await observer.around(command, work) : await work();
    if (delivered === undefined) stats.expired++;
    else if (delivered) stats.handled++;
    else stats.duplicates++;
    // What was asked and answered, never with what: bodies and results carry passwords and tokens.
    ctx.log.debug(
      {
        requestId: command.requestId,
        kind: command.kind,
        ip: command.meta.ip,
        status: result?.status,
        ms: Date.now() - started,
        delivered,
        attempt: delivery.attempt,
      },
      'command handled',
    );
  };
}

/**
 * Answers the client of a command the queue set aside as poison (it failed, or took its worker down,
 * on every delivery): an explicit `internal` error instead of silence until the deadline.
 */
export function createPoisonAnswer(ctx: Pick<WorkerContext, 'log'>, results: ResultBus) {
  return async function answerPoison(raw: Command): Promise<void> {
    const parsed = commandSchema.safeParse(raw);
    if (!parsed.success || Date.now() > parsed.data.deadline) return;
    const command = parsed.data;
    const error = new AppError('internal', 'the request could not be processed');
    const result: Result = { requestId: command.requestId, replyTo: command.replyTo, ok: false, status: error.status, error: error.toPayload() };
    await untilDeadline(command, ctx.log, 'poison answer', () => results.deliver(result));
  };
}

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1_000;

/**
 * Runs `attempt` until it succeeds or the command's deadline has passed (then: undefined, and the
 * edge has answered `timeout` by itself). Redis commands fail within about a second while Redis is
 * away (ioredis: one retry per request), so each try is bounded too.
 */
async function untilDeadline<T>(command: Command, log: Logger, what: string, attempt: () => Promise<T>): Promise<T | undefined> {
  let wait = RETRY_FIRST_MS;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const left = command.deadline - Date.now();
      if (left <= 0) {
        log.warn({ err, requestId: command.requestId, tries }, `${what} failed until the deadline; the edge answered timeout`);
        return undefined;
      }
      if (tries === 1) log.warn({ err, requestId: command.requestId }, `${what} failed; retrying until the deadline`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
      wait = Math.min(wait * 2, RETRY_MAX_MS);
    }
  }
}

const ALREADY_ANSWERED = Symbol('already answered');

async function run(command: Command, handler: BoundHandler, ctx: WorkerContext, traceparent: string | undefined): Promise<Result | typeof ALREADY_ANSWERED> {
  const base = { requestId: command.requestId, replyTo: command.replyTo, ...(traceparent ? { traceparent } : {}) };
  try {
    const outcome = await handler(command);
    // Sealed before it leaves this process: the result store (Redis, its disk and replicas) must not
    // hold tokens in clear.
    return sealResult({ ...base, ok: true, status: outcome.status, ...(outcome.data === undefined ? {} : { data: outcome.data }) }, command.resultSecret);
  } catch (err) {
    if (err instanceof AlreadyAnswered) return ALREADY_ANSWERED;
    const error = toClientError(err);
    if (error.code === 'overloaded') ctx.log.error({ err, requestId: command.requestId, kind: command.kind }, 'command failed on a dependency');
    // A challenge (mfa_required, device_verification_required) carries what the client goes on with: sealed.
    return sealResult({ ...base, ok: false, status: error.status, error: error.toPayload() }, command.resultSecret);
  }
}

function toClientError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof z.ZodError) return new AppError('invalid_request', 'request is invalid', { details: fieldIssues(err) });
  return new AppError('overloaded', 'a dependency is unavailable, retry later');
}
