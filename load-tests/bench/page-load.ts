import { chromium, type Browser } from 'playwright-core';
import { startCluster } from '../../scripts/cluster/index.ts';
import { startProcess } from '../../scripts/lib/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../scripts/lib/services.ts';
import { round } from './deployment.ts';

/**
 * (k) The page's load time on loopback: navigation start to the end of the load event in Debian's
 * chromium (headless, playwright-core), a fresh browser context per load (a first visit: nothing
 * cached), `loads` times, interleaved with as many loads of GET /health of the same server (a JSON
 * answer with nothing to fetch or run after it) as the baseline. All-in-one, and through nginx in
 * front of two edges. Medians, their ratio, and every load.
 */
export async function benchPageLoad(loads: number): Promise<Record<string, unknown>[]> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const rows: Record<string, unknown>[] = [];
    const data = tempDir('bench-k');
    const all = await startProcess('all', { DATA_DIR: data.dir });
    try {
      rows.push(await measure(browser, all.url, 'all-in-one', loads));
    } finally {
      await all.stop();
      data.remove();
    }
    const database = await createTestDatabase('bench_k');
    const namespace = uniqueNamespace('bench-k');
    const clusterDir = tempDir('bench-k-cluster');
    const cluster = await startCluster({
      edges: 2,
      workers: 1,
      mailer: false,
      port: 0,
      edgeBasePort: 0,
      apiPort: 0,
      metricsBasePort: 'off',
      namespace,
      redisUrl: REDIS_URL,
      amqpUrl: AMQP_URL,
      databaseUrl: database.url,
      dir: `${clusterDir.dir}/cluster`,
      env: { DATA_DIR: `${clusterDir.dir}/data` },
    });
    try {
      rows.push(await measure(browser, cluster.url, 'nginx in front of two edges', loads));
    } finally {
      await cluster.stop();
      await database.drop();
      await cleanupNamespace(namespace);
      clusterDir.remove();
    }
    return rows;
  } finally {
    await browser.close();
  }
}

const WARM_UP_LOADS = 3;

async function measure(browser: Browser, url: string, shape: string, loads: number): Promise<Record<string, unknown>> {
  const loadTime = async (target: string) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(target, { waitUntil: 'load' });
      return await page.evaluate(
        () => (performance as unknown as { getEntriesByType(type: string): { loadEventEnd: number }[] }).getEntriesByType('navigation')[0]!.loadEventEnd,
      );
    } finally {
      await context.close();
    }
  };
  const pageMs: number[] = [];
  const healthMs: number[] = [];
  // Not counted: the browser's first loads also start its own processes for the site.
  for (let i = 0; i < WARM_UP_LOADS; i++) await Promise.all([loadTime(url), loadTime(`${url}/health`)]);
  // Interleaved, so that whatever else the machine does weighs on both alike.
  for (let i = 0; i < loads; i++) {
    pageMs.push(round(await loadTime(url), 1));
    healthMs.push(round(await loadTime(`${url}/health`), 1));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    bench: `k: the page's load time on loopback ÷ GET /health, ${shape}`,
    pageMedianMs: median(pageMs),
    healthMedianMs: median(healthMs),
    ratio: round(median(pageMs) / median(healthMs), 2),
    loads,
    pageMs,
    healthMs,
  };
}
