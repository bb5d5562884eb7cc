import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import type { CommandQueue, LaneDepth } from '../transport/types.ts';

/**
 * How often the event-loop delay histogram (nodejs_eventloop_lag_*) samples. prom-client's 10 ms wakes
 * an idle process 100 times a second: on this project's 2-vCPU VM that was 5–8 ms of CPU a second per
 * process (an idle edge: 8–12 ms/s at 10 ms, 4–5 at 50 ms), taken from the bcrypt threads on a shared
 * machine. At 50 ms every stall of 50 ms or more is still seen; shorter ones are sampled.
 */
const EVENT_LOOP_SAMPLE_MS = 50;

/**
 * One registry per process (in the all-in-one shape every role registers on the same one), with
 * prom-client's default process metrics (process_*, nodejs_*). The roles add their own families.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}

/** A broker that does not answer within this long leaves the queue gauges out of that scrape. */
const DEPTH_TIMEOUT_MS = 1_000;

/**
 * The command queue as this process sees it: commands waiting and consumers per lane (RabbitMQ's
 * counts, asked at scrape time; the in-process queue's lengths) and publishes awaiting a confirm.
 * Registered once per process, by whoever composed the queue.
 */
export function observeQueue(registry: Registry, queue: CommandQueue, log: Logger): void {
  const depthOnce = async (): Promise<LaneDepth[] | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([queue.depth(), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), DEPTH_TIMEOUT_MS)))]);
    } catch (err) {
      log.debug({ err }, 'queue depth not read');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  // Both gauges come from one checkQueue per lane: the first collect of a scrape asks, the second reuses it.
  let latest: Promise<LaneDepth[] | undefined> | undefined;
  const depth = () => (latest ??= depthOnce().finally(() => setTimeout(() => (latest = undefined), 100).unref()));

  new Gauge({
    name: 'authgate_queue_messages',
    help: 'Commands waiting in each lane of the command queue (RabbitMQ ready messages, or the in-process queue length).',
    labelNames: ['lane'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of (await depth()) ?? []) this.set({ lane: d.lane }, d.messages);
    },
  });
  new Gauge({
    name: 'authgate_queue_consumers',
    help: 'Consumers attached to each lane of the command queue (0: nothing takes commands).',
    labelNames: ['lane'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of (await depth()) ?? []) this.set({ lane: d.lane }, d.consumers);
    },
  });
  new Gauge({
    name: 'authgate_queue_publishes_unconfirmed',
    help: 'Commands this process sent to the broker whose publisher confirm has not come yet.',
    registers: [registry],
    collect() {
      this.set(queue.unconfirmed);
    },
  });
}
