import type { Logger } from '../logger.ts';
import type { ResultBus, ResultHandler } from './types.ts';

const RESYNC_RETRY_MS = 500;

/** Counted for the metrics: resyncs done, and the results they found kept. */
export interface ResyncStats {
  resyncs: number;
  collected: number;
}

/**
 * Listens on a node's own channel. After a gap in the subscription (it is subscribed again by then),
 * the results published meanwhile for the requests still waiting are collected from the store, and
 * retried while the store is still unsteady: each waiting request would otherwise answer `timeout`
 * at its deadline although its result is kept.
 */
export async function followNodeChannel(
  bus: ResultBus,
  nodeId: string,
  options: { onResult: ResultHandler; waiting: () => string[]; retryForMs: number; log: Logger; stats?: ResyncStats },
): Promise<void> {
  const resync = async (attempt = 1): Promise<void> => {
    try {
      const missed = await bus.collect(nodeId, options.waiting());
      if (options.stats) {
        options.stats.resyncs++;
        options.stats.collected += missed.length;
      }
      for (const result of missed) options.onResult(result);
      if (missed.length > 0) options.log.info({ collected: missed.length }, 'collected results missed while resubscribing');
    } catch (err) {
      if (attempt * RESYNC_RETRY_MS >= options.retryForMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, RESYNC_RETRY_MS));
      await resync(attempt + 1);
    }
  };
  await bus.subscribe(nodeId, options.onResult, () => {
    resync().catch((err: unknown) => options.log.warn({ err }, 'result resync failed'));
  });
}
