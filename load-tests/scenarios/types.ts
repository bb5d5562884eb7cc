import type { LoadConfig, ScenarioName } from '../config.ts';
import type { ScenarioMetrics } from '../metrics/recorder.ts';
import type { Progress } from '../progress.ts';
import type { Target } from '../target.ts';

export interface ScenarioContext {
  target: Target;
  config: LoadConfig['scenarios'];
  progress: Progress;
  /** A unique address for user `n` of a scenario: `load-<runId>-<scenario>-<n>@example.test`. */
  emailFor(scenario: string, n: number | string): string;
}

export interface ScenarioResult {
  metrics: ScenarioMetrics;
  /** The tool(s) that sent the load. */
  driver: string;
  /** Figures of the scenario's own (users, sessions prepared, client-side errors...). */
  details: Record<string, unknown>;
}

export interface Scenario {
  name: ScenarioName;
  title: string;
  description: string;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}
