import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema } from '@authgate/shared/config';
import { startCluster } from '../scripts/cluster/index.ts';
import { startProcess } from '../scripts/lib/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, uniqueNamespace } from '../scripts/lib/services.ts';
import type { LoadConfig } from './config.ts';
import { wsUrlOf, type Target } from './target.ts';

/**
 * Settings whose names mark them as a request budget (so many per minute, so many failures before a
 * lockout): raised for a load run (see loadRunSettings). Durations (windows, back-off) are left alone.
 */
const LIMIT_SETTING = /RATE_LIMIT|_PER_(SECOND|10S|MINUTE|HOUR|DAY)$|PER_(IP|ACCOUNT|EMAIL|USER|SOURCE)|_FAILURES$/;

/** The highest value the configuration schema accepts for a setting, probing down from 10^9. */
function highestAccepted(name: string): string | undefined {
  const schema = (configSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>)[name];
  for (let value = 1_000_000_000; value >= 1; value = Math.floor(value / 10)) {
    if (schema?.safeParse(String(value)).success) return String(value);
  }
  return undefined;
}

/**
 * What the deployment a load run starts itself is told: a low bcrypt cost (the run measures the
 * pipeline, not bcrypt: `npm run bench` compares the two) and every request budget found in the
 * configuration raised to its highest, since all virtual users share one address. The config's
 * `deployment.env` comes last and can set any of them back.
 */
export function loadRunSettings(deployment: LoadConfig['deployment']): Record<string, string> {
  const limits: Record<string, string> = {};
  for (const name of Object.keys(configSchema.shape)) {
    if (!LIMIT_SETTING.test(name)) continue;
    const value = highestAccepted(name);
    if (value) limits[name] = value;
  }
  return {
    NODE_ENV: 'development',
    // The lowest level that still prints `authgate started`, which the starters wait for; audit
    // events are info lines, as in production.
    LOG_LEVEL: 'info',
    BCRYPT_COST: String(deployment.bcryptCost),
    // A thousand users arrive at once: answers may wait longer than an interactive client would.
    REQUEST_TIMEOUT_MS: '60000',
    ...limits,
    ...deployment.env,
  };
}

/** Starts the deployment a run measures, on this machine, in its own namespace, database and folder. */
export async function startLocalTarget(deployment: LoadConfig['deployment'], log: (line: string) => void): Promise<Target> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authgate-load-'));
  const settings = { ...loadRunSettings(deployment), DATA_DIR: path.join(dir, 'data') };
  if (deployment.shape === 'all') {
    log(`starting authgate all-in-one (bcrypt cost ${deployment.bcryptCost})`);
    const all = await startProcess('all', settings, 120_000);
    const trim = trimLogLines(() => [all.lines]);
    return {
      httpUrls: [all.url],
      wsUrls: [all.wsUrl],
      description: { kind: 'started', shape: 'all', bcryptCost: deployment.bcryptCost, settings: publicSettings(settings) },
      stop: async () => {
        clearInterval(trim);
        await all.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const namespace = uniqueNamespace('load');
  const database = await createTestDatabase('load');
  log(`starting the local cluster: nginx, ${deployment.edges} edge(s), ${deployment.workers} worker(s) (bcrypt cost ${deployment.bcryptCost})`);
  let cluster;
  try {
    cluster = await startCluster({
      edges: deployment.edges,
      workers: deployment.workers,
      api: false,
      port: 0,
      edgeBasePort: 0,
      namespace,
      redisUrl: REDIS_URL,
      amqpUrl: AMQP_URL,
      databaseUrl: database.url,
      env: settings,
      dir: path.join(dir, 'cluster'),
    });
  } catch (err) {
    await database.drop();
    await cleanupNamespace(namespace);
    throw new Error(`the local cluster did not start (its logs: ${path.join(dir, 'cluster', 'logs')}): ${(err as Error).message}`);
  }
  const started = cluster;
  const trim = trimLogLines(() => started.members().map((m) => m.process.lines));
  const httpUrls = deployment.via === 'nginx' ? [cluster.url] : cluster.edges.map((e) => e.url!);
  return {
    httpUrls,
    wsUrls: httpUrls.map(wsUrlOf),
    description: {
      kind: 'started',
      shape: 'cluster',
      edges: deployment.edges,
      workers: deployment.workers,
      via: deployment.via,
      nginx: cluster.url,
      bcryptCost: deployment.bcryptCost,
      settings: publicSettings(settings),
    },
    stop: async () => {
      clearInterval(trim);
      await cluster.stop();
      await database.drop();
      await cleanupNamespace(namespace);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The process starters keep every parsed log line of their children in memory (tests read them); a
 * load run's audit lines would grow that without bound, so the run empties them as it goes.
 */
function trimLogLines(lists: () => unknown[][]): NodeJS.Timeout {
  return setInterval(() => {
    for (const lines of lists()) lines.length = 0;
  }, 5_000).unref();
}

/** The settings as the report shows them: no paths of this machine's temporary folders. */
function publicSettings(settings: Record<string, string>): Record<string, string> {
  const { DATA_DIR: _dir, ...rest } = settings;
  return rest;
}
