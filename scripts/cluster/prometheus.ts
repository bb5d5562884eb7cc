import type { Role } from './process.ts';

export interface ScrapeTarget {
  name: string;
  role: Role;
  metricsUrl: string | null;
}

/**
 * A Prometheus configuration that scrapes every process of a cluster on this machine directly (its
 * METRICS_PORT; never through nginx): one job per role (authgate-edge, authgate-worker, authgate-api),
 * each target labelled with its process name, and the alert rules of deploy/prometheus/alerts.yml.
 */
export function renderPrometheusConfig(targets: ScrapeTarget[], options: { rulesFile?: string; scrapeInterval?: string } = {}): string {
  const interval = options.scrapeInterval ?? '5s';
  const jobs = new Map<string, Array<{ address: string; name: string }>>();
  for (const t of targets) {
    if (!t.metricsUrl) continue;
    const url = new URL(t.metricsUrl);
    const job = `authgate-${t.role}`;
    jobs.set(job, [...(jobs.get(job) ?? []), { address: url.host, name: t.name }]);
  }
  const lines = [
    '# Written by npm run cluster: scrapes each authgate process on its own metrics port.',
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
  ];
  if (options.rulesFile) lines.push('rule_files:', `  - ${JSON.stringify(options.rulesFile)}`);
  lines.push('scrape_configs:');
  for (const [job, members] of jobs) {
    lines.push(`  - job_name: ${job}`, '    metrics_path: /metrics', '    static_configs:');
    for (const m of members) lines.push(`      - targets: [${JSON.stringify(m.address)}]`, `        labels: { process: ${JSON.stringify(m.name)} }`);
  }
  return `${lines.join('\n')}\n`;
}
