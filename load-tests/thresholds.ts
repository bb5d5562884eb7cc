import type { Thresholds } from './config.ts';
import type { ScenarioMetrics } from './metrics/recorder.ts';

export interface ThresholdResult {
  name: keyof Thresholds;
  /** The bound as written, e.g. `>= 0.99` or `<= 250 ms`. */
  limit: string;
  actual: number;
  passed: boolean;
}

/** Checks each threshold the config sets for a scenario; an unset one is not checked. */
export function checkThresholds(metrics: ScenarioMetrics, thresholds: Thresholds): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  const atLeast = (name: keyof Thresholds, actual: number, unit = '') => {
    const bound = thresholds[name];
    if (bound !== undefined) results.push({ name, limit: `>= ${bound}${unit}`, actual, passed: actual >= bound });
  };
  const atMost = (name: keyof Thresholds, actual: number, unit = '') => {
    const bound = thresholds[name];
    if (bound !== undefined) results.push({ name, limit: `<= ${bound}${unit}`, actual, passed: actual <= bound });
  };
  atLeast('minSuccessRate', metrics.successRate);
  atMost('maxP50Ms', metrics.latencyMs.p50, ' ms');
  atMost('maxP95Ms', metrics.latencyMs.p95, ' ms');
  atMost('maxP99Ms', metrics.latencyMs.p99, ' ms');
  atLeast('minThroughputRps', metrics.throughputRps, ' req/s');
  atMost('maxUnfinished', metrics.unfinished);
  return results;
}
