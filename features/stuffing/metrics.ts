import { Gauge, type Registry } from 'prom-client';
import { CounterFamily, register } from '@authgate/shared/metrics/families';
import type { StuffingGate } from './edge/gate.ts';
import type { BreachCheck } from './worker/breach.ts';
import type { StuffingDetector } from './worker/detector.ts';

/**
 * The feature's metrics, on the process's registry (deploy/: the dashboard's "Credential stuffing"
 * panel and the StuffingDetected alert read them).
 */

/** Edge: the state it acts on, and what its gate did. */
export function observeGate(registry: Registry, gate: StuffingGate): void {
  new Gauge({
    name: 'authgate_stuffing_active',
    help: 'Whether this edge challenges password logins from unknown devices (1: a credential stuffing wave is detected).',
    registers: [registry],
    collect() {
      this.set(gate.current ? 1 : 0);
    },
  });
  new Gauge({
    name: 'authgate_stuffing_difficulty_bits',
    help: 'Leading zero bits the challenges this edge issues ask for (0 while the defence is off).',
    registers: [registry],
    collect() {
      this.set(gate.current?.difficulty ?? 0);
    },
  });
  const challenges = new CounterFamily(
    'authgate_stuffing_challenges_total',
    'Password logins at the stuffing gate while it is on, by outcome: issued (challenge_required), solved, known_device, or the refusal of an answer.',
    ['outcome'],
  )
    .read({ outcome: 'issued' }, () => gate.stats.issued)
    .read({ outcome: 'solved' }, () => gate.stats.passed.solved)
    .read({ outcome: 'known_device' }, () => gate.stats.passed.device);
  for (const reason of ['malformed', 'forged', 'expired', 'unsolved', 'used'] as const) {
    challenges.read({ outcome: `refused_${reason}` }, () => gate.stats.refused[reason]);
  }
  register(registry, challenges);
}

/** Worker: the failures it fed the window, the detections and ends it reported, the breach check's misses. */
export function observeDetector(registry: Registry, detector: StuffingDetector, breach?: BreachCheck): void {
  new Gauge({
    name: 'authgate_stuffing_failure_rate',
    help: 'Failed password logins (and unsolved challenges) per second across the deployment, as this worker last read it.',
    registers: [registry],
    collect() {
      this.set(detector.stats.rate);
    },
  });
  register(
    registry,
    new CounterFamily(
      'authgate_stuffing_events_total',
      'Credential stuffing defence: failed logins this worker counted, waves it reported detected and ended.',
      ['event'],
    )
      .read({ event: 'login_failed' }, () => detector.stats.failures)
      .read({ event: 'detected' }, () => detector.stats.detected)
      .read({ event: 'ended' }, () => detector.stats.ended),
  );
  // Registered without PASSWORD_BREACH_RANGE_URL too (all zero): dashboards and alerts find the family.
  register(
    registry,
    new CounterFamily(
      'authgate_password_breach_checks_total',
      'Breached-password checks (PASSWORD_BREACH_RANGE_URL), by outcome: clean, breached, or missed (no answer in time).',
      ['outcome'],
    )
      .read({ outcome: 'clean' }, () => breach?.stats.clean ?? 0)
      .read({ outcome: 'breached' }, () => breach?.stats.breached ?? 0)
      .read({ outcome: 'missed' }, () => breach?.stats.missed ?? 0),
  );
}
