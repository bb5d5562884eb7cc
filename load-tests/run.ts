// npm run test:load: the load scenarios against a local cluster (or --url), with a live display, a
// summary table, a JSON and an HTML report, and a non-zero exit when a threshold is broken.
// Options: load-tests/options.ts (npm run test:load -- --help).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyOverrides, ConfigFileError, readConfig, type LoadConfig } from './config.ts';
import { startLocalTarget } from './deployment.ts';
import { parseOptions, USAGE, UsageError, type RunOptions } from './options.ts';
import { Progress } from './progress.ts';
import { renderHtml } from './report/html.ts';
import { summaryTable } from './report/summary.ts';
import type { RunReport, ScenarioReport } from './report/types.ts';
import { SCENARIOS } from './scenarios/index.ts';
import { remoteTarget, type Target } from './target.ts';
import { checkThresholds } from './thresholds.ts';

const EXIT = { ok: 0, thresholdBroken: 1, usage: 2, failed: 3 } as const;

function prepare(): { options: RunOptions; config: LoadConfig } {
  try {
    const options = parseOptions(process.argv.slice(2), process.env);
    if (options.help) {
      console.log(USAGE);
      process.exit(EXIT.ok);
    }
    const config = applyOverrides(readConfig(options.configFile), { scale: options.scale, users: options.users, durationS: options.durationS });
    const d = config.deployment;
    config.deployment = {
      ...d,
      shape: options.shape ?? d.shape,
      edges: options.edges ?? d.edges,
      workers: options.workers ?? d.workers,
      via: options.via ?? d.via,
      bcryptCost: options.bcryptCost ?? d.bcryptCost,
    };
    return { options, config };
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigFileError) {
      console.error(`${err.message}\n(npm run test:load -- --help lists the options)`);
      process.exit(EXIT.usage);
    }
    throw err;
  }
}

function runIdNow(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`.toLowerCase();
}

const { options, config } = prepare();
const startedAt = new Date();
const runId = runIdNow(startedAt);
const progress = new Progress(process.stderr, config.progressIntervalS);
const loadAverageAtStart = os.loadavg().map((v) => Math.round(v * 100) / 100);

let target: Target | undefined;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    progress.log(`${signal}: stopping`);
    void Promise.resolve(target?.stop()).finally(() => process.exit(130));
  });
}

try {
  target = options.urls ? await remoteTarget(options.urls) : await startLocalTarget(config.deployment, (line) => progress.log(line));
} catch (err) {
  console.error(`cannot reach or start the deployment to load: ${(err as Error).message}`);
  process.exit(EXIT.failed);
}
progress.log(`run ${runId}: load goes to ${target.httpUrls.join(', ')}`);

const results: ScenarioReport[] = [];
try {
  for (const name of options.only) {
    if (interrupted) break;
    const scenario = SCENARIOS[name];
    const base = { name, title: scenario.title, description: scenario.description };
    try {
      const result = await scenario.run({
        target,
        config: config.scenarios,
        progress,
        emailFor: (s, n) => `load-${runId}-${s}-${n}@example.test`,
      });
      const thresholds = checkThresholds(result.metrics, config.scenarios[name].thresholds);
      results.push({ ...base, driver: result.driver, passed: thresholds.every((t) => t.passed), thresholds, ...result.metrics, details: result.details });
    } catch (err) {
      progress.log(`${name} did not complete: ${(err as Error).message}`);
      results.push({ ...base, passed: false, thresholds: [], error: (err as Error).message });
    }
  }
} finally {
  progress.log('stopping the deployment');
  await target.stop().catch((err: unknown) => progress.log(`stopping the deployment failed: ${(err as Error).message}`));
}

const failed = results.some((s) => s.error !== undefined);
const exitCode = failed ? EXIT.failed : results.every((s) => s.passed) ? EXIT.ok : EXIT.thresholdBroken;
const cpus = os.cpus();
const report: RunReport = {
  tool: 'authgate load test',
  version: 1,
  runId,
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  passed: exitCode === EXIT.ok,
  exitCode,
  target: target.description,
  machine: {
    cpus: cpus.length,
    model: cpus[0]?.model,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    totalMemoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
  },
  options: {
    only: options.only,
    scale: options.scale ?? 1,
    users: options.users,
    durationS: options.durationS,
    configFile: path.relative(process.cwd(), options.configFile) || options.configFile,
    deployment: config.deployment,
    scenarios: config.scenarios,
  },
  scenarios: results,
};

mkdirSync(options.reportDir, { recursive: true });
const jsonFile = path.join(options.reportDir, `load-${runId}.json`);
const htmlFile = path.join(options.reportDir, `load-${runId}.html`);
writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(htmlFile, renderHtml(report));

console.log(`\nauthgate load test ${runId}: ${report.passed ? 'PASSED' : 'FAILED'}\n`);
console.log(summaryTable(report));
console.log(`\nJSON report: ${jsonFile}\nHTML report: ${htmlFile}`);
process.exit(exitCode);
