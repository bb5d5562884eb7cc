import type { Config } from '@authgate/shared/config';
import type { EventBus } from '@authgate/shared/events/types';
import type { Logger } from '@authgate/shared/logger';
import type { Registry } from 'prom-client';
import { observeDetector } from '../metrics.ts';
import type { StuffingStore } from '../stores/types.ts';
import { BreachCheck } from './breach.ts';
import { StuffingDetector } from './detector.ts';

/** What the worker's handlers call: a failed password login is counted; a new password may be refused as breached. */
export interface StuffingContext {
  /** A password login failed (wrong password or unknown email) from `ip`. */
  loginFailed(ip: string): void;
  /** Registration, reset, change: `weak_password` for a password seen in breaches (no-op without PASSWORD_BREACH_RANGE_URL). */
  refuseBreached(password: string): Promise<void>;
}

/** The worker's part of the feature, started by services/worker: the detector's ticks, the breach check, their metrics. */
export function startStuffingWorker(
  config: Config,
  deps: { store: StuffingStore; events?: EventBus | undefined; metrics?: Registry | undefined; log: Logger },
): StuffingContext & { detector: StuffingDetector; stop(): Promise<void> } {
  const log = deps.log.child({ component: 'stuffing' });
  const detector = new StuffingDetector(deps.store, config, log, deps.events);
  const breach = config.PASSWORD_BREACH_RANGE_URL ? new BreachCheck(config.PASSWORD_BREACH_RANGE_URL, config.PASSWORD_BREACH_TIMEOUT_MS, log) : undefined;
  if (config.STUFFING_DEFENCE === 'on') detector.start();
  if (deps.metrics) observeDetector(deps.metrics, detector, breach);
  return {
    detector,
    loginFailed: (ip) => detector.failed(ip),
    refuseBreached: async (password) => breach?.refuseBreached(password),
    stop: () => detector.stop(),
  };
}
