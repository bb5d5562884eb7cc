import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEvent } from '@authgate/shared/events/schema';
import { MemoryEventBus } from '@authgate/shared/events/memory-bus';
import { createLogger } from '@authgate/shared/logger';
import type { StuffingSettings } from '../contract.ts';
import { MemoryStuffingStore } from '../stores/memory.ts';
import { PressureTally } from '../tally.ts';
import { StuffingDetector } from '../worker/detector.ts';

const settings: StuffingSettings = {
  STUFFING_DEFENCE: 'on',
  STUFFING_FAILURE_RATE: 10,
  STUFFING_MIN_SOURCES: 20,
  STUFFING_COOLDOWN_S: 5,
  STUFFING_DIFFICULTY: 16,
  STUFFING_MAX_DIFFICULTY: 20,
  STUFFING_CHALLENGE_TTL_S: 60,
};
const log = createLogger({ level: 'silent', name: 'detector-test' });

/**
 * Two workers' detectors and an edge's tally on one in-process store and event bus, on a clock the test
 * moves: the audit events each transition makes, once for the deployment.
 */
describe('stuffing detector: transitions reported once, with the challenges issued a minute', () => {
  test('a wave is detected once, difficulty rises with the rate, challenges are summed per minute, the end is reported once', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const clock = () => now;
    const store = new MemoryStuffingStore(3700, clock);
    const bus = new MemoryEventBus({ maxLength: 1000, log });
    const events: AuditEvent[] = [];
    await bus.consume(
      async (batch) => {
        events.push(...batch.map((d) => d.event));
      },
      { maxBatchSize: 100, maxWaitMs: 1 },
    );
    const workers = [new StuffingDetector(store, settings, log, bus, clock), new StuffingDetector(store, settings, log, bus, clock)];
    const edge = new PressureTally(true);
    const second = async (failures: number, challenges: number) => {
      for (let i = 0; i < failures; i++) workers[i % 2]!.failed(`127.1.${Math.floor(i / 250)}.${i % 250}`);
      for (let i = 0; i < challenges; i++) edge.note(`v4:127.2.0.${i % 250}`);
      await edge.flush(store, Math.floor(now / 1000));
      for (const worker of workers) await worker.tick();
      now += 1000;
    };
    for (let s = 0; s < 3; s++) await second(45, 0);
    assert.ok(await store.state(), 'on after about two seconds of 45 failures a second');
    assert.equal((await store.state())?.difficulty, 18, '45 a second is past two doublings of 10');
    for (let s = 0; s < 60; s++) await second(0, 30);
    assert.ok(await store.state(), 'still on: the challenges issued keep the wave in view');
    for (let s = 0; s < 10; s++) await second(0, 0);
    assert.equal(await store.state(), null, 'off after the cooldown');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const types = events.map((e) => e.type);
    assert.deepEqual(types.filter((t) => t === 'stuffing.detected').length, 1);
    assert.deepEqual(types.filter((t) => t === 'stuffing.ended').length, 1);
    const issued = events.filter((e) => e.type === 'challenge.issued');
    assert.equal(issued.length, 1, `one summary for the minute that had challenges: ${JSON.stringify(issued)}`);
    assert.ok(Number(issued[0]!.data.count) > 1000, JSON.stringify(issued[0]!.data));
    assert.ok(
      events.every((e) => e.userId === undefined),
      'the deployment’s events, no account',
    );
    await bus.close();
  });
});
