import { AppError } from '@authgate/shared/errors';
import type { Logger } from '@authgate/shared/logger';
import { sourceOf } from '@authgate/shared/security/password-work';
import type { ChallengeMint, RefusalReason } from '../challenge.ts';
import type { ChallengeAnswer, IssuedChallenge, StuffingSettings } from '../contract.ts';
import type { StuffingState, StuffingStore } from '../stores/types.ts';
import { PressureTally } from '../tally.ts';

/** How often an edge reads the defence's state (and adds the challenges it issued to the window). */
export const GATE_REFRESH_MS = 1_000;

/** Whether a device completed a password login for the account (LoginLimiter.trustsDevice). */
export type DeviceTrust = (email: string, deviceId: string) => Promise<boolean>;

/**
 * The edge's half: one call from the admission path, for a login, after the schema and before the
 * password lane. While the defence is off it costs nothing but a read of a cached field. While it is
 * on, a login passes when
 *
 * 1. it names a `deviceId` that has completed a password login for that account (the login limiter's
 *    trusted-device record, digested, in the limiter store: one read). An unknown email has no
 *    trusted device, exactly like a known email from a new device, so whether a challenge is asked
 *    tells nothing about which emails exist; or
 * 2. it carries a solved challenge: the salt's mac, its expiry and the work (ChallengeMint.check),
 *    then single use (the store's SET NX, across every edge).
 *
 * Otherwise it is answered `403 challenge_required` with a new challenge at the current difficulty,
 * and that counts as pressure: while bots keep being turned away the wave is still seen, though
 * their logins no longer fail on a worker.
 *
 * The state is read once a second per edge, never per request. A store that cannot be read keeps the
 * last state it gave.
 */
export class StuffingGate {
  private state: StuffingState | null = null;
  private readonly tally = new PressureTally(true);
  private timer: ReturnType<typeof setInterval> | undefined;
  private refreshing: Promise<void> | undefined;
  private storeFailing = false;
  /** Read by the metrics: challenges issued; answers refused, by reason; logins let through while on, by why. */
  readonly stats = {
    issued: 0,
    refused: { malformed: 0, forged: 0, expired: 0, unsolved: 0, used: 0 } as Record<RefusalReason, number>,
    passed: { device: 0, solved: 0 },
  };

  constructor(
    private readonly store: StuffingStore,
    private readonly mint: ChallengeMint,
    private readonly trustsDevice: DeviceTrust,
    private readonly settings: Pick<StuffingSettings, 'STUFFING_DEFENCE' | 'STUFFING_CHALLENGE_TTL_S'>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The defence as this edge sees it (null: off). */
  get current(): StuffingState | null {
    return this.state;
  }

  async start(): Promise<void> {
    if (this.settings.STUFFING_DEFENCE === 'off') return;
    await this.refresh();
    this.timer = setInterval(() => {
      if (!this.refreshing) this.refreshing = this.refresh().finally(() => (this.refreshing = undefined));
    }, GATE_REFRESH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
    await this.tally.flush(this.store, Math.floor(this.now() / 1000)).catch(() => {});
  }

  /** Reads the state and adds this edge's issued challenges to the window (exposed for tests). */
  async refresh(): Promise<void> {
    const [flushed, read] = await Promise.allSettled([this.tally.flush(this.store, Math.floor(this.now() / 1000)), this.store.state()]);
    if (read.status === 'fulfilled') {
      if (Boolean(read.value) !== Boolean(this.state))
        this.log.info({ difficulty: read.value?.difficulty }, read.value ? 'stuffing defence on at this edge' : 'stuffing defence off at this edge');
      this.state = read.value;
    }
    const failure = flushed.status === 'rejected' ? flushed.reason : read.status === 'rejected' ? read.reason : undefined;
    if (failure !== undefined && !this.storeFailing) this.log.warn({ err: failure }, 'stuffing window not reached: keeping the last state');
    this.storeFailing = failure !== undefined;
  }

  /**
   * The check for one login (its parsed body): passes, or throws `challenge_required`. The body's
   * `challenge` is taken out either way: the worker has no use for it.
   */
  async check(body: { email?: string; deviceId?: string; challenge?: ChallengeAnswer }, ip: string): Promise<void> {
    const answer = body.challenge;
    delete body.challenge;
    const state = this.state;
    if (!state || this.settings.STUFFING_DEFENCE === 'off') return;
    // Check 1: a device of the account (before the answer: it spends nothing).
    if (body.deviceId && body.email && (await this.trustsDevice(body.email, body.deviceId).catch(() => false))) {
      this.stats.passed.device++;
      return;
    }
    // Check 2: a solved challenge, used once.
    let refusal: RefusalReason | undefined;
    if (answer) {
      const checked = this.mint.check(answer, this.now());
      if (checked.ok && (await this.store.spend(checked.id, checked.expiresAt).catch(() => false))) {
        this.stats.passed.solved++;
        return;
      }
      refusal = checked.ok ? 'used' : checked.reason;
      this.stats.refused[refusal]++;
    }
    this.tally.note(sourceOf(ip));
    this.stats.issued++;
    throw challengeRequired(this.mint.issue(state.difficulty, this.settings.STUFFING_CHALLENGE_TTL_S * 1000, this.now()), refusal);
  }
}

const REFUSED: Record<RefusalReason, string> = {
  malformed: 'the challenge answer is not one this gateway issued',
  forged: 'the challenge answer is not one this gateway issued',
  expired: 'the challenge expired',
  unsolved: 'the nonce does not solve the challenge',
  used: 'the challenge was used already',
};

/** `403 challenge_required`: everything a client needs to solve it is in the error object. */
export function challengeRequired(challenge: IssuedChallenge, refusal?: RefusalReason): AppError {
  const why = refusal ? `${REFUSED[refusal]}: solve this new one` : 'many failed sign-ins right now';
  return new AppError(
    'challenge_required',
    `${why}: find a nonce such that SHA-256(salt + nonce) begins with ${challenge.difficulty} zero bits, and send the login again with challenge: {salt, nonce}`,
    { challenge: { challenge: { ...challenge } } },
  );
}
