/**
 * Inline SVG charts for the HTML report: no script, no stylesheet from elsewhere, nothing fetched.
 */
export interface LineSeries {
  name: string;
  color: string;
  points: [number, number][];
}

export interface BarSeries {
  name: string;
  color: string;
  values: number[];
}

const W = 720;
const H = 280;
const M = { left: 64, right: 16, top: 40, bottom: 44 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Round tick steps (1, 2, 2.5, 5 × 10^n) covering 0..max in about `count` steps. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9 && ticks.length < 50; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

export function formatTick(v: number): string {
  if (v >= 1_000_000) return `${Number((v / 1_000_000).toPrecision(3))}M`;
  if (v >= 10_000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

function frame(id: string, title: string, body: string): string {
  return `<svg id="${escapeXml(id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${escapeXml(id)}-title">
<title id="${escapeXml(id)}-title">${escapeXml(title)}</title>
<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>
<text x="${M.left}" y="20" font-size="14" font-weight="600" fill="#111">${escapeXml(title)}</text>
${body}
</svg>`;
}

function yAxis(ticks: number[], yOf: (v: number) => number, label: string): string {
  const lines = ticks.map(
    (t) =>
      `<line x1="${M.left}" x2="${W - M.right}" y1="${yOf(t).toFixed(1)}" y2="${yOf(t).toFixed(1)}" stroke="#e5e7eb"/>` +
      `<text x="${M.left - 6}" y="${(yOf(t) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#555">${formatTick(t)}</text>`,
  );
  const mid = (M.top + H - M.bottom) / 2;
  return `${lines.join('\n')}
<text x="14" y="${mid}" font-size="11" fill="#555" text-anchor="middle" transform="rotate(-90 14 ${mid})">${escapeXml(label)}</text>`;
}

function legend(items: { name: string; color: string }[]): string {
  let x = W - M.right;
  const parts: string[] = [];
  for (const item of [...items].reverse()) {
    const width = 18 + item.name.length * 6.5;
    x -= width + 10;
    parts.push(
      `<rect x="${x.toFixed(1)}" y="10" width="12" height="12" fill="${item.color}"/><text x="${(x + 16).toFixed(1)}" y="20" font-size="11" fill="#333">${escapeXml(item.name)}</text>`,
    );
  }
  return parts.join('\n');
}

/** A line chart of series over x (seconds since the scenario started). */
export function lineChart(o: { id: string; title: string; xLabel: string; yLabel: string; series: LineSeries[] }): string {
  const all = o.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yTicks = niceTicks(Math.max(0, ...all.map(([, y]) => y)));
  const yMax = yTicks[yTicks.length - 1]!;
  const xOf = (x: number) => M.left + (x / xMax) * (W - M.left - M.right);
  const yOf = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  // Whole seconds on the time axis, however short the run.
  const xTicks = niceTicks(xMax, 8).filter((t) => t <= xMax && Number.isInteger(t));
  const xAxis = xTicks
    .map(
      (t) =>
        `<line x1="${xOf(t).toFixed(1)}" x2="${xOf(t).toFixed(1)}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" stroke="#888"/><text x="${xOf(t).toFixed(1)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle" fill="#555">${formatTick(t)}</text>`,
    )
    .join('\n');
  const lines = o.series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const pts = s.points.map(([x, y]) => `${xOf(x).toFixed(1)},${yOf(y).toFixed(1)}`).join(' ');
      const dots =
        s.points.length <= 40
          ? s.points.map(([x, y]) => `<circle cx="${xOf(x).toFixed(1)}" cy="${yOf(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`).join('')
          : '';
      return `<polyline class="series" data-series="${escapeXml(s.name)}" fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>${dots}`;
    })
    .join('\n');
  const body = `${yAxis(yTicks, yOf, o.yLabel)}
<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#888"/>
${xAxis}
<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" font-size="11" text-anchor="middle" fill="#555">${escapeXml(o.xLabel)}</text>
${lines}
${legend(o.series)}`;
  return frame(o.id, o.title, body);
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(o: { id: string; title: string; yLabel: string; categories: string[]; series: BarSeries[] }): string {
  const yTicks = niceTicks(Math.max(0, ...o.series.flatMap((s) => s.values)));
  const yMax = yTicks[yTicks.length - 1]!;
  const yOf = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const groupWidth = (W - M.left - M.right) / Math.max(1, o.categories.length);
  const barWidth = Math.min(40, (groupWidth * 0.8) / Math.max(1, o.series.length));
  const bars = o.categories
    .map((category, c) => {
      const start = M.left + c * groupWidth + (groupWidth - barWidth * o.series.length) / 2;
      const rects = o.series
        .map((s, i) => {
          const v = s.values[c] ?? 0;
          const y = yOf(v);
          return `<rect class="bar" data-series="${escapeXml(s.name)}" x="${(start + i * barWidth).toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(H - M.bottom - y).toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${category} ${s.name}: ${v}`)}</title></rect>`;
        })
        .join('');
      // "rest login" on two lines (transport, operation), so that many groups still fit.
      const x = (M.left + (c + 0.5) * groupWidth).toFixed(1);
      const words = category.split(' ');
      const label = `<text x="${x}" y="${H - M.bottom + 14}" font-size="11" text-anchor="middle" fill="#555">${words
        .map((w, i) => `<tspan x="${x}" dy="${i === 0 ? 0 : 12}">${escapeXml(w)}</tspan>`)
        .join('')}</text>`;
      return rects + label;
    })
    .join('\n');
  const body = `${yAxis(yTicks, yOf, o.yLabel)}
<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#888"/>
${bars}
${legend(o.series)}`;
  return frame(o.id, o.title, body);
}
