import { context, trace, type Context, type Span } from '@opentelemetry/api';
import type { Command, Result } from '@authgate/shared/protocol';
import type { CommandQueue } from '@authgate/shared/transport/types';
import { endWithOutcome, failed, SpanKind, type Tracing } from '@authgate/shared/tracing/tracing';
import type { ResultTarget } from '../relay.ts';

/**
 * The edge's spans of one command request: a root span (`POST /auth/login`, `ws login`) with
 * `admission`, `publish` (until the broker confirms) and `wait` (until the result is handed to the
 * client) under it. The command carries the publish span's `traceparent`, so the worker's spans join
 * the trace; the result carries the worker's, and the relay's span continues from it.
 */
export class EdgeTracing {
  constructor(readonly tracing: Tracing) {}

  begin(name: string, attributes: Record<string, string>): RequestTrace {
    const root = this.tracing.start(name, { kind: SpanKind.SERVER, attributes }, context.active());
    return new RequestTrace(this.tracing, root, trace.setSpan(context.active(), root));
  }

  /** The queue the relay publishes through: each publish is a PRODUCER span whose context the command carries. */
  queue(inner: CommandQueue): CommandQueue {
    const tracing = this.tracing;
    return Object.assign(Object.create(inner) as CommandQueue, {
      async publish(command: Command): Promise<void> {
        const span = tracing.start('publish', { kind: SpanKind.PRODUCER, attributes: { 'authgate.kind': command.kind, 'messaging.system': 'authgate.queue' } });
        command.traceparent = tracing.traceparentOf(trace.setSpan(context.active(), span));
        try {
          await inner.publish(command);
        } catch (err) {
          failed(span, err);
          throw err;
        } finally {
          span.end();
        }
      },
    });
  }

  /** The relay's handling of each result that arrives, as a span under the worker's (from the result's traceparent). */
  relayed(onResult: (result: Result) => void): (result: Result) => void {
    const tracing = this.tracing;
    return (result) => {
      const span = tracing.start('relay', { kind: SpanKind.CONSUMER, attributes: { 'authgate.status': result.status } }, tracing.contextOf(result.traceparent));
      try {
        tracing.within(span, () => onResult(result), trace.setSpan(context.active(), span));
      } finally {
        span.end();
      }
    };
  }
}

export class RequestTrace {
  constructor(
    private readonly tracing: Tracing,
    readonly root: Span,
    readonly ctx: Context,
  ) {}

  /** Runs the request's work with the root span active: what it publishes joins this trace. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return context.with(this.ctx, fn);
  }

  admission<T>(fn: () => Promise<T>): Promise<T> {
    return this.tracing.inSpan('admission', fn, {}, this.ctx);
  }

  /** The target a result is handed to, timed by a `wait` span; the root span ends with the result. */
  waitFor(target: ResultTarget): ResultTarget {
    const wait = this.tracing.start('wait', {}, this.ctx);
    const root = this.root;
    return {
      connection: target.connection,
      deliver(result: Result) {
        wait.end();
        target.deliver(result);
        endWithOutcome(root, result.status, result.ok ? undefined : result.error.code);
      },
    };
  }

  /** Ends a request answered without a result (refused at admission, or a deferred 202). */
  end(status: number, errorCode?: string): void {
    endWithOutcome(this.root, status, errorCode);
  }
}
