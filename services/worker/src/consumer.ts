import { z } from 'zod';
import { AppError, commandSchema, fieldIssues, type Command, type Result, type ResultBus } from '@authgate/shared';
import type { WorkerContext } from './context.ts';
import { handlers } from './handlers/index.ts';

export interface ConsumerStats {
  handled: number;
  expired: number;
  duplicates: number;
  malformed: number;
}

/**
 * Turns one command into exactly one result on the requesting node's channel. Domain errors become
 * error results; a dependency failure becomes `overloaded` rather than silence. Only when the result
 * itself cannot be delivered does the command go back to the queue.
 */
export function createCommandConsumer(ctx: WorkerContext, results: ResultBus, stats: ConsumerStats) {
  return async function consume(raw: Command): Promise<void> {
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
    const started = Date.now();
    const result = await run(command, ctx);
    const delivered = await results.deliver(result);
    if (delivered) stats.handled++;
    else stats.duplicates++;
    // What was asked and answered, never with what: bodies and results carry passwords and tokens.
    ctx.log.debug({ requestId: command.requestId, kind: command.kind, ip: command.meta.ip, status: result.status, ms: Date.now() - started, delivered }, 'command handled');
  };
}

async function run(command: Command, ctx: WorkerContext): Promise<Result> {
  const base = { requestId: command.requestId, replyTo: command.replyTo };
  try {
    const outcome = await handlers[command.kind](command, ctx);
    return { ...base, ok: true, status: outcome.status, ...(outcome.data === undefined ? {} : { data: outcome.data }) };
  } catch (err) {
    const error = toClientError(err);
    if (error.code === 'overloaded') ctx.log.error({ err, requestId: command.requestId, kind: command.kind }, 'command failed on a dependency');
    return { ...base, ok: false, status: error.status, error: error.toPayload() };
  }
}

function toClientError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof z.ZodError) return new AppError('invalid_request', 'request is invalid', { details: fieldIssues(err) });
  return new AppError('overloaded', 'a dependency is unavailable, retry later');
}
