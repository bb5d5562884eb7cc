import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';

export { SpanKind, type Context, type Span };

/**
 * The spans authgate makes, over the OpenTelemetry API only (the SDK is loaded by startTracing, and
 * only when an exporter is configured). A role receives a Tracing when tracing is on and undefined
 * otherwise, so that with tracing off no span, context or header is made at all.
 */
export class Tracing {
  constructor(readonly tracer: Tracer) {}

  /** The W3C `traceparent` of a context (default: the active one), carried in commands and results. */
  traceparentOf(ctx: Context = context.active()): string | undefined {
    const carrier: Record<string, string> = {};
    propagation.inject(ctx, carrier);
    return carrier.traceparent;
  }

  /** The context a `traceparent` names (a new trace when there is none). */
  contextOf(traceparent: string | undefined): Context {
    return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  }

  start(name: string, options: SpanOptions = {}, parent: Context = context.active()): Span {
    return this.tracer.startSpan(name, options, parent);
  }

  /** Runs `fn` in a child span of the active context; the span records an error and ends with it. */
  async inSpan<T>(name: string, fn: () => Promise<T>, options: SpanOptions = {}, parent: Context = context.active()): Promise<T> {
    const span = this.tracer.startSpan(name, options, parent);
    try {
      return await context.with(trace.setSpan(parent, span), fn);
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** Runs `fn` with `span` as the active span (its children nest under it). */
  within<T>(span: Span, fn: () => T, parent: Context = context.active()): T {
    return context.with(trace.setSpan(parent, span), fn);
  }
}

/** Marks a span failed, with the error's code (an AppError's) and never its message beyond the class. */
export function failed(span: Span, err: unknown): void {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : ((err as Error)?.name ?? 'error');
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.setAttribute('authgate.error', code);
}

/** Ends a span with a request's outcome: an HTTP-like status and, for failures, the error code. */
export function endWithOutcome(span: Span, status: number, errorCode?: string): void {
  span.setAttribute('authgate.status', status);
  if (errorCode) {
    span.setAttribute('authgate.error', errorCode);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
  }
  span.end();
}

/**
 * Wraps every method of `target` that returns a promise in a span named `<prefix>.<method>` (the
 * database, Redis, bcrypt, signing calls of a worker). Other members pass through untouched.
 */
export function tracedMethods<T extends object>(tracing: Tracing, target: T, prefix: string, attributes: Record<string, string> = {}): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver) as unknown;
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'constructor') return value;
      return (...args: unknown[]) => {
        const span = tracing.start(`${prefix}.${key}`, { kind: SpanKind.INTERNAL, attributes });
        let out: unknown;
        try {
          out = tracing.within(span, () => (value as (...a: unknown[]) => unknown).apply(obj, args));
        } catch (err) {
          failed(span, err);
          span.end();
          throw err;
        }
        if (out instanceof Promise) {
          return out.then(
            (v) => {
              span.end();
              return v;
            },
            (err: unknown) => {
              failed(span, err);
              span.end();
              throw err;
            },
          );
        }
        span.end();
        return out;
      };
    },
  });
}
