import type { ScenarioMetrics } from '../metrics/recorder.ts';
import { barChart, escapeXml as esc, lineChart } from './svg.ts';
import type { RunReport, ScenarioReport } from './types.ts';

const COLORS = { ok: '#2563eb', failed: '#dc2626', p50: '#16a34a', p95: '#f59e0b', p99: '#dc2626' };

const num = (v: number | undefined, digits = 0) =>
  v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(2)} %`);

function table(head: string[], rows: string[][], className = ''): string {
  return `<table class="${className}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const verdict = (passed: boolean) => `<span class="${passed ? 'pass' : 'fail'}">${passed ? 'PASS' : 'FAIL'}</span>`;

function charts(s: ScenarioReport & ScenarioMetrics): string {
  const out: string[] = [];
  out.push(
    lineChart({
      id: `throughput-${s.name}`,
      title: `${s.title}: answers per second`,
      xLabel: 'seconds since the scenario started',
      yLabel: 'requests / s',
      series: [
        { name: 'succeeded', color: COLORS.ok, points: s.timeline.map((p) => [p.t, p.ok]) },
        { name: 'failed', color: COLORS.failed, points: s.timeline.map((p) => [p.t, p.failed]) },
      ],
    }),
  );
  const timed = s.timeline.filter((p) => p.p50Ms !== undefined);
  if (timed.length > 0) {
    out.push(
      lineChart({
        id: `latency-${s.name}`,
        title: `${s.title}: latency per second`,
        xLabel: 'seconds since the scenario started',
        yLabel: 'ms',
        series: [
          { name: 'p50', color: COLORS.p50, points: timed.map((p) => [p.t, p.p50Ms!]) },
          { name: 'p95', color: COLORS.p95, points: timed.map((p) => [p.t, p.p95Ms!]) },
          { name: 'p99', color: COLORS.p99, points: timed.map((p) => [p.t, p.p99Ms!]) },
        ],
      }),
    );
  }
  const ops = Object.entries(s.operations).filter(([, o]) => o.latencyMs.count > 0);
  out.push(
    barChart({
      id: `percentiles-${s.name}`,
      title: `${s.title}: latency percentiles by operation`,
      yLabel: 'ms',
      categories: ops.map(([name]) => name),
      series: [
        { name: 'p50', color: COLORS.p50, values: ops.map(([, o]) => o.latencyMs.p50) },
        { name: 'p95', color: COLORS.p95, values: ops.map(([, o]) => o.latencyMs.p95) },
        { name: 'p99', color: COLORS.p99, values: ops.map(([, o]) => o.latencyMs.p99) },
      ],
    }),
  );
  return `<div class="charts">${out.join('\n')}</div>`;
}

function scenarioSection(s: ScenarioReport): string {
  const parts = [
    `<section id="scenario-${esc(s.name)}"><h2>${esc(s.title)} <small>${esc(s.name)}</small> ${verdict(s.passed)}</h2>`,
    `<p>${esc(s.description)}</p>`,
  ];
  if (s.error) parts.push(`<p class="fail">The scenario did not complete: ${esc(s.error)}</p>`);
  if (s.thresholds.length > 0) {
    parts.push(
      '<h3>Thresholds</h3>',
      table(
        ['threshold', 'limit', 'measured', 'result'],
        s.thresholds.map((t) => [esc(t.name), esc(t.limit), num(t.actual, 3), verdict(t.passed)]),
      ),
    );
  }
  if (s.timeline && s.operations && s.latencyMs) {
    const m = s as ScenarioReport & ScenarioMetrics;
    parts.push(
      `<p>${esc(m.driver ?? '')}: ${num(m.total)} requests in ${num(m.durationS, 1)} s, ${num(m.throughputRps, 1)} per second; ${pct(m.successRate)} succeeded` +
        `${m.unfinished ? `; ${num(m.unfinished)} still in flight at the end (not counted)` : ''}.</p>`,
    );
    parts.push(charts(m));
    parts.push(
      '<h3>Operations</h3>',
      table(
        ['operation', 'requests', 'succeeded', 'failed', 'success rate', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'cut off at the end', 'errors'],
        Object.entries(m.operations).map(([name, o]) => [
          esc(name),
          num(o.total),
          num(o.ok),
          num(o.failed),
          pct(o.successRate),
          num(o.latencyMs.p50, 2),
          num(o.latencyMs.p95, 2),
          num(o.latencyMs.p99, 2),
          num(o.latencyMs.max, 2),
          num(o.unfinished),
          esc(
            Object.entries(o.errorsByCode)
              .map(([c, n]) => `${c} ×${n}`)
              .join(', ') || '–',
          ),
        ]),
      ),
    );
    const errors = Object.entries(m.errorsByCode);
    parts.push(
      '<h3>Errors by code</h3>',
      errors.length === 0
        ? '<p>None.</p>'
        : table(
            ['code', 'count'],
            errors.map(([c, n]) => [esc(c), num(n)]),
          ),
    );
  }
  if (s.details) parts.push('<h3>Details</h3>', `<pre>${esc(JSON.stringify(s.details, null, 2))}</pre>`);
  parts.push('</section>');
  return parts.join('\n');
}

/** A self-contained page: inline CSS and SVG, no script, nothing loaded from the network. */
export function renderHtml(report: RunReport): string {
  const summary = table(
    ['scenario', 'driver', 'requests', 'success rate', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'result'],
    report.scenarios.map((s) => [
      `<a href="#scenario-${esc(s.name)}">${esc(s.name)}</a>`,
      esc(s.driver ?? '–'),
      num(s.total),
      pct(s.successRate),
      num(s.throughputRps, 1),
      num(s.latencyMs?.p50, 2),
      num(s.latencyMs?.p95, 2),
      num(s.latencyMs?.p99, 2),
      num(s.failed),
      verdict(s.passed),
    ]),
    'summary',
  );
  const m = report.machine;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>authgate load test ${esc(report.runId)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #111; }
h1 small, h2 small { color: #666; font-weight: 400; font-size: 0.7em; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f5f5f5; }
.pass { color: #166534; font-weight: 600; }
.fail { color: #b91c1c; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { border: 1px solid #eee; max-width: 100%; height: auto; }
pre { background: #f7f7f7; padding: 8px; overflow-x: auto; }
section { margin-top: 32px; border-top: 1px solid #ddd; }
</style>
</head>
<body>
<h1>authgate load test <small>${esc(report.runId)}</small> ${verdict(report.passed)}</h1>
<p>${esc(report.startedAt)} to ${esc(report.finishedAt)}. Target: <code>${esc(JSON.stringify(report.target))}</code></p>
<p>Machine: ${m.cpus} CPU(s) ${esc(m.model ?? '')}, ${num(m.totalMemoryMiB)} MiB, Node ${esc(m.node)}; load average at start ${esc(m.loadAverageAtStart.join(' / '))}, at the end ${esc(m.loadAverageAtEnd.join(' / '))}.
The load generator runs on the same machine as the deployment it measures.</p>
<p>Latency is measured by the client for every answered request, failed ones included. Success means the operation's own status (docs/rest.md).</p>
<h2>Summary</h2>
${summary}
${report.scenarios.map(scenarioSection).join('\n')}
<footer><p>Options: <code>${esc(JSON.stringify(report.options))}</code></p></footer>
</body>
</html>
`;
}
