import type { Browser } from 'playwright-core';
import { startProcess } from '../../scripts/lib/processes.ts';
import { tempDir } from '../../scripts/lib/services.ts';
import { launchChromium } from '../../test/browser/support.ts';
import { startTestCluster } from '../../test/cluster/support.ts';
import { percentile, round } from './deployment.ts';

/**
 * (k) The page's load time on loopback: navigation start to the end of the load event in Debian's
 * chromium (headless, playwright-core), a fresh browser context per load (a first visit: nothing
 * cached), `loads` times, interleaved with as many loads of GET /health of the same server (a JSON
 * answer with nothing to fetch or run after it) as the baseline. All-in-one, and through nginx in
 * front of two edges. Medians, their ratio, and every load.
 */
export async function benchPageLoad(loads: number): Promise<Record<string, unknown>[]> {
  const { browser, close } = await launchChromium();
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
    const { cluster, cleanup } = await startTestCluster('bench-k', { edges: 2, workers: 1, mailer: false, metricsBasePort: 'off' });
    try {
      rows.push(await measure(browser, cluster.url, 'nginx in front of two edges', loads));
    } finally {
      await cleanup();
    }
    return rows;
  } finally {
    await close();
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
  const median = (values: number[]) =>
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    );
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
