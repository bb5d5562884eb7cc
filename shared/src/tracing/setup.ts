import { trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config.ts';
import { Tracing } from './tracing.ts';

export interface TracingHandle {
  tracing: Tracing;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Turns tracing on for this process when OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test hands in an
 * exporter): the OpenTelemetry SDK is imported only then. Registers the global tracer provider, the
 * AsyncLocalStorage context manager (spans nest across awaits) and the W3C trace-context propagator.
 */
export async function startTracing(
  config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME' | 'NODE_ID'>,
  serviceName: string,
  options: { exporter?: SpanExporter; batch?: boolean } = {},
): Promise<TracingHandle | undefined> {
  if (!options.exporter && !config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  const [{ NodeTracerProvider }, { BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  let exporter = options.exporter;
  if (!exporter) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    exporter = new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/+$/, '')}/v1/traces` });
  }
  const batch = options.batch ?? !options.exporter;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.OTEL_SERVICE_NAME ?? serviceName, 'service.instance.id': config.NODE_ID }),
    spanProcessors: [batch ? new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 }) : new SimpleSpanProcessor(exporter)],
  });
  provider.register();
  return {
    tracing: new Tracing(trace.getTracer('authgate')),
    async shutdown() {
      await provider.shutdown().catch(() => {});
    },
  };
}
