import { context, trace } from '@opentelemetry/api';
import type { Command } from '@authgate/shared/protocol';
import { endWithOutcome, failed, SpanKind, tracedMethods, type Tracing } from '@authgate/shared/tracing/tracing';
import type { ResultBus } from '@authgate/shared/transport/types';
import type { CommandObserver, Handled } from '../consumer.ts';
import type { WorkerContext } from '../context.ts';

/**
 * The worker's spans of one command: `worker <kind>` (CONSUMER) under the edge's publish span (the
 * command's traceparent), a `queue wait` span beside it from the publish to the start here, and under
 * it one span per call to the database, the session store, the limiters, bcrypt, the signer and the
 * result bus. The result carries the command span's traceparent for the edge's relay span.
 */
export class WorkerTracing implements CommandObserver {
  constructor(private readonly tracing: Tracing) {}

  async around(command: Command, work: (traceparent?: string) => Promise<Handled>): Promise<Handled> {
    const parent = this.tracing.contextOf(command.traceparent);
    const now = Date.now();
    if (command.sentAt && command.sentAt <= now) {
      this.tracing.start('queue wait', { startTime: command.sentAt, attributes: { 'authgate.kind': command.kind } }, parent).end(now);
    }
    const span = this.tracing.start(`worker ${command.kind}`, { kind: SpanKind.CONSUMER, attributes: { 'authgate.kind': command.kind } }, parent);
    const ctx = trace.setSpan(parent, span);
    try {
      const handled = await context.with(ctx, () => work(this.tracing.traceparentOf(ctx)));
      if (handled.result) endWithOutcome(span, handled.result.status, handled.result.ok ? undefined : handled.result.error.code);
      else span.end();
      return handled;
    } catch (err) {
      failed(span, err);
      span.end();
      throw err;
    }
  }

  /** The context's stores and tools, each call a span: db.*, sessions.*, limiter.*, revocations.*, bcrypt.*, jwt.*. */
  context(ctx: WorkerContext): WorkerContext {
    const t = this.tracing;
    return {
      ...ctx,
      users: tracedMethods(t, ctx.users, 'db'),
      sessions: tracedMethods(t, ctx.sessions, 'sessions'),
      loginLimiter: tracedMethods(t, ctx.loginLimiter, 'limiter'),
      revocations: tracedMethods(t, ctx.revocations, 'revocations'),
      hasher: tracedMethods(t, ctx.hasher, 'bcrypt'),
      signer: tracedMethods(t, ctx.signer, 'jwt'),
    };
  }

  results(bus: ResultBus): ResultBus {
    return tracedMethods(this.tracing, bus, 'results');
  }
}

/** Metrics outside, tracing inside: the traceparent the result carries comes from the tracing observer. */
export function bothObservers(outer: CommandObserver | undefined, inner: CommandObserver | undefined): CommandObserver | undefined {
  if (!outer || !inner) return outer ?? inner;
  return { around: (command, work) => outer.around(command, () => inner.around(command, work)) };
}
