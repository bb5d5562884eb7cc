/** A finished span as the trace tests compare them, from the SDK (in-memory) or from OTLP/JSON. */
export interface SpanRecord {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  service: string;
  attributes: Record<string, unknown>;
}

/** The one span of `trace` named `name`; fails with the names present when there is not exactly one. */
export function only(spans: SpanRecord[], name: string): SpanRecord {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1)
    throw new Error(`expected one span named ${JSON.stringify(name)}, found ${found.length} among: ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}

/** Parent chains as "name < parent < grandparent", to read a failing assertion at a glance. */
export function lineage(spans: SpanRecord[], span: SpanRecord): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out = [span.name];
  for (let p = span.parentSpanId && byId.get(span.parentSpanId); p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) out.push(p.name);
  return out;
}

/** OTLP/HTTP JSON (what @opentelemetry/exporter-trace-otlp-http sends) as SpanRecords. */
export function fromOtlpJson(body: any): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const service = (rs.resource?.attributes ?? []).find((a: any) => a.key === 'service.name')?.value?.stringValue ?? '';
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const attributes = Object.fromEntries((s.attributes ?? []).map((a: any) => [a.key, Object.values(a.value ?? {})[0]]));
        out.push({ name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, service, attributes });
      }
    }
  }
  return out;
}
