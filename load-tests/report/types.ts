import type { ScenarioName } from '../config.ts';
import type { ScenarioMetrics } from '../metrics/recorder.ts';
import type { ThresholdResult } from '../thresholds.ts';

/** One scenario in the JSON report: its metrics at the top level, beside what judged them. */
export interface ScenarioReport extends Partial<ScenarioMetrics> {
  name: ScenarioName;
  title: string;
  description: string;
  driver?: string;
  passed: boolean;
  thresholds: ThresholdResult[];
  details?: Record<string, unknown>;
  /** Set when the scenario could not run to its end (its metrics are then absent). */
  error?: string;
}

export interface RunReport {
  tool: 'authgate load test';
  version: 1;
  runId: string;
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  exitCode: number;
  target: Record<string, unknown>;
  machine: {
    cpus: number;
    model: string | undefined;
    node: string;
    platform: string;
    totalMemoryMiB: number;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  options: Record<string, unknown>;
  scenarios: ScenarioReport[];
}
