import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StuffingSettings } from '../contract.ts';
import { difficultyFor, rateOf, shouldEnd, shouldStart } from '../rate.ts';

const settings: StuffingSettings = {
  STUFFING_DEFENCE: 'on',
  STUFFING_FAILURE_RATE: 10,
  STUFFING_MIN_SOURCES: 20,
  STUFFING_COOLDOWN_S: 5,
  STUFFING_DIFFICULTY: 16,
  STUFFING_MAX_DIFFICULTY: 20,
  STUFFING_CHALLENGE_TTL_S: 60,
};
/** Counts per second, the last entry the current (partial) second. */
const window = (perSecond: number[], sources = 100) => ({ perSecond, sources });

describe('stuffing detection: how a window reads', () => {
  test('the rate is the mean of the last two complete seconds; the current one is left out', () => {
    assert.equal(rateOf(window([0, 0, 10, 30, 999])), 20);
  });

  test('starts at the rate from enough sources, not from one busy source', () => {
    assert.equal(shouldStart(window([0, 0, 0, 20, 20, 0]), settings), true);
    assert.equal(shouldStart(window([0, 0, 0, 20, 20, 0], 5), settings), false, 'few sources: the per-source limits handle it');
    assert.equal(shouldStart(window([0, 0, 0, 9, 9, 0]), settings), false);
  });

  test('ends only after the cooldown, once both the rate and the cooldown mean are under half (hysteresis)', () => {
    const now = 100_000;
    const quiet = window([0, 0, 0, 0, 0, 0, 0]);
    assert.equal(shouldEnd(quiet, now - 1_000, now, settings), false, 'the cooldown has not run');
    assert.equal(shouldEnd(quiet, now - 5_000, now, settings), true);
    assert.equal(shouldEnd(window([0, 20, 20, 0, 0, 0, 0]), now - 60_000, now, settings), false, 'the cooldown mean is 8: still above 5');
    assert.equal(shouldEnd(window([0, 0, 0, 0, 7, 7, 0]), now - 60_000, now, settings), false, 'between the lines: stays on');
  });

  test('difficulty rises a bit each time the rate doubles, within bounds', () => {
    assert.equal(difficultyFor(5, settings), 16);
    assert.equal(difficultyFor(10, settings), 16);
    assert.equal(difficultyFor(20, settings), 17);
    assert.equal(difficultyFor(80, settings), 19);
    assert.equal(difficultyFor(1_000_000, settings), 20);
  });
});
