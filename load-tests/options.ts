import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES, type ScenarioName } from './config.ts';
import { baseUrl } from './target.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const USAGE = `npm run test:load -- [options]

Starts a local authgate cluster (nginx, edges, workers on this machine's Redis, RabbitMQ and
PostgreSQL), runs the load scenarios against it, prints a summary, writes a JSON and an HTML report,
and exits non-zero when a threshold of the config is broken.

  --url <url[,url...]>    target a running deployment instead (loopback addresses only); several
                          URLs (e.g. each edge) share the load
  --only <a,b>            scenarios to run: ${SCENARIO_NAMES.join(', ')} (default: all)
  --scale <f>             multiply every count and duration by f, e.g. 0.01 (env LOAD_SCALE)
  --users <n>             virtual users of rest-auth and ws-auth (env LOAD_USERS)
  --duration <s>          seconds of verify-storm, refresh-storm and mixed (env LOAD_DURATION_S)
  --config <file>         config file (env LOAD_CONFIG; default load-tests/config.json)
  --report-dir <dir>      where the reports go (env LOAD_REPORT_DIR; default load-tests/reports)
  --shape cluster|all     what to start locally (default from the config: cluster)
  --edges <n>, --workers <n>   cluster size (default from the config)
  --via edges|nginx       send load to the edges directly (default) or through the cluster's nginx
  --bcrypt-cost <n>       bcrypt cost of the started deployment (default 4: measures the pipeline)
  -h, --help

Exit status: 0 every threshold met; 1 a threshold broken; 2 bad options or config; 3 the run failed.`;

export interface RunOptions {
  urls: string[] | undefined;
  only: ScenarioName[];
  scale: number | undefined;
  users: number | undefined;
  durationS: number | undefined;
  configFile: string;
  reportDir: string;
  shape: 'cluster' | 'all' | undefined;
  edges: number | undefined;
  workers: number | undefined;
  via: 'edges' | 'nginx' | undefined;
  bcryptCost: number | undefined;
  help: boolean;
}

export class UsageError extends Error {}

function positiveNumber(name: string, raw: string | undefined, integer: boolean, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${name} must be ${integer ? 'a whole number' : 'a number'} above 0 and at most ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!allowed.includes(raw as T)) throw new UsageError(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(raw)})`);
  return raw as T;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): RunOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        only: { type: 'string' },
        scale: { type: 'string' },
        users: { type: 'string' },
        duration: { type: 'string' },
        config: { type: 'string' },
        'report-dir': { type: 'string' },
        shape: { type: 'string' },
        edges: { type: 'string' },
        workers: { type: 'string' },
        via: { type: 'string' },
        'bcrypt-cost': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const only =
    values.only === undefined
      ? [...SCENARIO_NAMES]
      : values.only
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  for (const name of only) oneOf('--only', name, SCENARIO_NAMES);
  if (only.length === 0) throw new UsageError('--only names no scenario');
  let urls: string[] | undefined;
  if (values.url !== undefined) {
    try {
      urls = values.url
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map(baseUrl);
    } catch (err) {
      throw new UsageError(`--url: ${(err as Error).message}`);
    }
    if (urls.length === 0) throw new UsageError('--url names no URL');
  }
  const bcryptCost = positiveNumber('--bcrypt-cost', values['bcrypt-cost'], true, 15);
  if (bcryptCost !== undefined && bcryptCost < 4) throw new UsageError('--bcrypt-cost must be from 4 to 15');
  return {
    urls,
    only: SCENARIO_NAMES.filter((n) => only.includes(n)),
    scale: positiveNumber('--scale', values.scale ?? env.LOAD_SCALE, false, 100),
    users: positiveNumber('--users', values.users ?? env.LOAD_USERS, true, 100_000),
    durationS: positiveNumber('--duration', values.duration ?? env.LOAD_DURATION_S, true, 3600),
    configFile: path.resolve(values.config ?? env.LOAD_CONFIG ?? path.join(HERE, 'config.json')),
    reportDir: path.resolve(values['report-dir'] ?? env.LOAD_REPORT_DIR ?? path.join(HERE, 'reports')),
    shape: oneOf('--shape', values.shape, ['cluster', 'all'] as const),
    edges: positiveNumber('--edges', values.edges, true, 16),
    workers: positiveNumber('--workers', values.workers, true, 16),
    via: oneOf('--via', values.via, ['edges', 'nginx'] as const),
    bcryptCost,
    help: values.help ?? false,
  };
}
