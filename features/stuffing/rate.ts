import type { StuffingSettings } from './contract.ts';
import type { PressureWindow } from './stores/types.ts';

/**
 * How a window of per-second counts reads (pure: the detector's decisions, tested alone).
 *
 * - `rate`: the mean of the last two complete seconds (the current one is still being flushed by
 *   other processes, so it is left out). Two seconds: a wave is seen within about three seconds of
 *   starting, and one busy second alone does not start the defence.
 * - start: `rate` at or above STUFFING_FAILURE_RATE, from at least STUFFING_MIN_SOURCES sources.
 * - end (hysteresis): the defence has run for STUFFING_COOLDOWN_S, and both `rate` and the mean over
 *   the last STUFFING_COOLDOWN_S seconds are below half the starting rate. Between the two lines it stays as it is.
 * - difficulty: STUFFING_DIFFICULTY, one bit more each time the rate doubles past the threshold, at most
 *   STUFFING_MAX_DIFFICULTY; during a wave it never falls.
 */
export function rateOf(window: PressureWindow): number {
  const n = window.perSecond.length;
  return ((window.perSecond[n - 2] ?? 0) + (window.perSecond[n - 3] ?? 0)) / 2;
}

export function calmRateOf(window: PressureWindow, cooldownS: number): number {
  const complete = window.perSecond.slice(0, -1).slice(-cooldownS);
  return complete.reduce((sum, c) => sum + c, 0) / Math.max(1, cooldownS);
}

export function shouldStart(window: PressureWindow, settings: StuffingSettings): boolean {
  return rateOf(window) >= settings.STUFFING_FAILURE_RATE && window.sources >= settings.STUFFING_MIN_SOURCES;
}

export function shouldEnd(window: PressureWindow, since: number, now: number, settings: StuffingSettings): boolean {
  const low = settings.STUFFING_FAILURE_RATE / 2;
  return now - since >= settings.STUFFING_COOLDOWN_S * 1000 && rateOf(window) < low && calmRateOf(window, settings.STUFFING_COOLDOWN_S) < low;
}

export function difficultyFor(rate: number, settings: StuffingSettings): number {
  const steps = rate > settings.STUFFING_FAILURE_RATE ? Math.floor(Math.log2(rate / settings.STUFFING_FAILURE_RATE)) : 0;
  return Math.min(settings.STUFFING_MAX_DIFFICULTY, Math.max(1, settings.STUFFING_DIFFICULTY + steps));
}

/** Seconds of counts the detector reads: the cooldown's complete seconds, and the current one. */
export function windowSeconds(settings: StuffingSettings): number {
  return Math.max(settings.STUFFING_COOLDOWN_S, 3) + 1;
}
