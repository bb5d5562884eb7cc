import type { Config } from '@authgate/shared/config';
import type { Logger } from '@authgate/shared/logger';
import type { LoginLimiter } from '@authgate/shared/security/login-limiter';
import { loadResultSealingSecret } from '@authgate/shared/security/result-seal';
import type { Registry } from 'prom-client';
import { ChallengeMint } from '../challenge.ts';
import type { ChallengeAnswer } from '../contract.ts';
import { observeGate } from '../metrics.ts';
import type { StuffingStore } from '../stores/types.ts';
import { StuffingGate } from './gate.ts';

/**
 * The edge's part of the feature, started by services/edge: the gate, reading the defence's state
 * once a second, its metrics, and the one call the admission path makes for a login.
 */
export async function startStuffingGate(
  config: Config,
  deps: { store: StuffingStore; loginLimiter: LoginLimiter; metrics?: Registry | undefined; log: Logger },
): Promise<{ gate: StuffingGate; check(body: Record<string, unknown>, ip: string): Promise<void>; stop(): Promise<void> }> {
  // The challenges' mac key is derived from the secret every edge shares already (HKDF, its own salt):
  // a salt one edge made is checked by any other.
  const mint = new ChallengeMint(loadResultSealingSecret(config));
  const gate = new StuffingGate(
    deps.store,
    mint,
    (email, deviceId) => deps.loginLimiter.trustsDevice(email, deviceId),
    config,
    deps.log.child({ component: 'stuffing' }),
  );
  await gate.start();
  if (deps.metrics) observeGate(deps.metrics, gate);
  return {
    gate,
    check: (body, ip) => gate.check(body as { email?: string; deviceId?: string; challenge?: ChallengeAnswer }, ip),
    stop: () => gate.stop(),
  };
}
