import type { RunReport } from './types.ts';

const fmt = (v: number | undefined, digits = 0) =>
  v === undefined ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The summary table printed at the end of a run, plain text so that CI logs keep it. */
export function summaryTable(report: RunReport): string {
  const head = ['scenario', 'requests', 'ok %', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors by code', 'result'];
  const rows = report.scenarios.map((s) => [
    s.name,
    fmt(s.total),
    s.successRate === undefined ? '-' : (s.successRate * 100).toFixed(2),
    fmt(s.throughputRps, 1),
    fmt(s.latencyMs?.p50, 2),
    fmt(s.latencyMs?.p95, 2),
    fmt(s.latencyMs?.p99, 2),
    s.error
      ? 'did not complete'
      : Object.entries(s.errorsByCode ?? {})
          .slice(0, 3)
          .map(([c, n]) => `${c} x${n}`)
          .join(', ') || '-',
    s.passed ? 'PASS' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const broken = report.scenarios.flatMap((s) => [
    ...s.thresholds.filter((t) => !t.passed).map((t) => `  ${s.name}: ${t.name} ${t.limit}, measured ${t.actual}`),
    ...(s.error ? [`  ${s.name}: did not complete: ${s.error}`] : []),
  ]);
  if (broken.length > 0) out.push('', 'Thresholds broken:', ...broken);
  return out.join('\n');
}
