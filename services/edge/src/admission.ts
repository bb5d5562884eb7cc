import { AppError } from '@authgate/shared/errors';
import { newRequestId } from '@authgate/shared/ids';
import { checkNewPassword } from '@authgate/shared/password-policy';
import { commandContracts, fieldIssues, type CommandKind } from '@authgate/shared/protocol';
import type { LoginLimiter } from '@authgate/shared/security/login-limiter';
import { passwordWorkRefused, sourceOf, type PasswordWorkBudget } from '@authgate/shared/security/password-work';
import { refuseUnstorableText } from '@authgate/shared/storable-text';
import { roundOf } from '@authgate/shared/transport/types';
import type { LaneThroughput } from './lane-throughput.ts';

/** A command that passed admission: its body, ready to publish, and the requestId it will carry. */
export interface Admitted {
  kind: CommandKind;
  body: Record<string, unknown>;
  ip: string;
  requestId: string;
  /** It holds a unit of its source's password work budget until its answer comes. */
  holdsUnit: boolean;
  /** A password command's round on the lane: its source's fair share (transport/types.ts PASSWORD_ROUNDS). */
  round?: number | undefined;
  /** The client's User-Agent (shown in the sessions list). */
  userAgent?: string | undefined;
  /** The verified session a SESSION_KINDS command acts for, set by the transport after the token check. */
  auth?: { sub: string; sid: string } | undefined;
}

/**
 * The one admission path of a command, for HTTP and WebSocket alike. Each transport has already bounded
 * the bytes (MAX_BODY_BYTES, WS_MAX_PAYLOAD_BYTES), framing and, for REST, the media type; then, in
 * this order:
 *
 * 1. the per-IP limit: every attempt costs, well-formed or not (spent from a lease of the shared
 *    counter's points from the default limit up: LeasedPerMinuteLimiter);
 * 2. the body's text: no string, key or value at any depth, holds U+0000 or an unpaired surrogate,
 *    which PostgreSQL cannot store (invalid_request naming the fields: shared/src/storable-text.ts);
 *    then the body schema (invalid_request with the failing fields);
 * 3. the password policy of new passwords (weak_password);
 * 3b. for a login, the credential stuffing gate: while the deployment is under attack, a login from
 *    an unknown device answers `challenge_required` unless it carries a solved challenge
 *    (features/stuffing), before it takes any password work;
 * 4. the password work of the client's source (register, login): a unit taken for this requestId and
 *    given back when its answer comes (Relay). How many the source held before it is the command's
 *    round, so the lane shares its work fairly between sources; past PASSWORD_WORK_PER_SOURCE units,
 *    `429 rate_limited` (docs/shared-addresses.md);
 * 5. the password lane's deadline (register, login): when the commands this edge has in flight on the
 *    lane at this command's round or lower ÷ the rate their answers come back says it would not be
 *    answered within OVERLOAD_ADMIT_SHARE of REQUEST_TIMEOUT_MS, `503 overloaded` with Retry-After at
 *    once, rather than a 504 after the whole deadline (LaneThroughput);
 * 6. the login brute-force limits (per account, or per trusted device, and per account and IP),
 *    counted before publishing.
 *
 * What passes is ready to publish. Whatever takes an Admitted must end it in an answer (the relay) or
 * in `notRun`: the password unit and the login attempt are given back there.
 */
export class Admission {
  /** Requests refused `rate_limited`, by limiter (read by the metrics). */
  readonly refusals = { ip: 0, login: 0, passwordWork: 0 };
  /** Password commands answered `overloaded` because the lane could not meet their deadline. */
  laneRefusals = 0;

  constructor(
    private readonly ipLimiter: { consume(ip: string): Promise<void> },
    private readonly loginLimiter: LoginLimiter,
    private readonly passwordWork: PasswordWorkBudget,
    private readonly timeoutMs: number,
    private readonly passwordLane?: { throughput: LaneThroughput; admitShare: number },
    /** The credential stuffing gate (features/stuffing): a login from an unknown device may have to solve a challenge first. */
    private readonly loginGate?: { check(body: Record<string, unknown>, ip: string): Promise<void> },
  ) {}

  /**
   * `read` parses the request's body: after the per-IP limit, so that a malformed body costs its request
   * too. `deferred`: the result goes to a connection that may live on another edge (X-Connection-Id).
   */
  async admit(kind: CommandKind, read: () => unknown, ip: string, deferred = false): Promise<Admitted> {
    await this.ipLimiter.consume(ip).catch((err: unknown) => this.refused('ip', err));
    const body = read();
    refuseUnstorableText(body);
    const contract = commandContracts[kind];
    const parsed = contract.body.safeParse(body);
    if (!parsed.success) throw new AppError('invalid_request', 'request body is invalid', { details: fieldIssues(parsed.error) });
    const data = parsed.data as Record<string, unknown> & { email?: string; deviceId?: string };
    if (contract.newPassword) {
      const { field, emailField } = contract.newPassword;
      checkNewPassword(String(data[field]), emailField === undefined ? undefined : String(data[emailField]));
    }
    const requestId = newRequestId();
    const holdsUnit = contract.lane === 'password';
    if (!holdsUnit) return { kind, body: data, ip, requestId, holdsUnit };
    const signIn = contract.passwordSignIn === true;
    if (signIn) await this.loginGate?.check(data, ip);
    // A lane that would not answer even the first round in time refuses at once, without the round
    // trip to the password-work store that a storm's every command would otherwise make twice.
    const beforeAnyRound = this.laneRefusal(0);
    if (beforeAnyRound) {
      this.laneRefusals++;
      throw beforeAnyRound;
    }
    // Checked and counted in one step (one script on Redis): commands admitted together each see the
    // ones before them, and so each gets its own round.
    const heldBefore = await this.passwordWork.acquire(sourceOf(ip), requestId, Date.now() + this.timeoutMs, deferred);
    if (heldBefore === undefined) this.refused('passwordWork', passwordWorkRefused());
    const round = roundOf(heldBefore);
    try {
      this.enterLane(round);
    } catch (err) {
      await this.passwordWork.release(requestId, sourceOf(ip));
      throw err;
    }
    if (signIn) {
      try {
        await this.loginLimiter.admit(data.email!, ip, data.deviceId).catch((err: unknown) => this.refused('login', err));
      } catch (err) {
        this.passwordLane?.throughput.left(false, Date.now(), round);
        await this.passwordWork.release(requestId, sourceOf(ip));
        throw err;
      }
    }
    return { kind, body: data, ip, requestId, holdsUnit, round };
  }

  /**
   * Refuses a password command the lane would not answer within its share of the deadline, at its
   * round; counts it on the lane otherwise (until the relay has its answer, or notRun).
   */
  private enterLane(round: number): void {
    const refusal = this.laneRefusal(round);
    if (refusal) {
      this.laneRefusals++;
      throw refusal;
    }
    this.passwordLane?.throughput.entered(Date.now(), round);
  }

  /** The `overloaded` answer for a command at `round` if the lane would not answer it in time. */
  private laneRefusal(round: number): AppError | undefined {
    if (!this.passwordLane) return undefined;
    const { throughput, admitShare } = this.passwordLane;
    const budgetMs = this.timeoutMs * admitShare;
    const waitMs = admitShare > 0 ? throughput.expectedWaitMs(Date.now(), round) : undefined;
    if (waitMs === undefined || waitMs <= budgetMs) return undefined;
    // Retry-After: about when the queue ahead will have drained to what a deadline allows.
    const retryAfter = Number.isFinite(waitMs)
      ? Math.min(60, Math.max(1, Math.ceil((waitMs - budgetMs) / 1000)))
      : Math.max(1, Math.ceil(this.timeoutMs / 1000));
    return new AppError('overloaded', 'the password lane is full and would not answer within the deadline, retry later', { retryAfter });
  }

  private refused(limiter: 'ip' | 'login' | 'passwordWork', err: unknown): never {
    if (err instanceof AppError && err.code === 'rate_limited') this.refusals[limiter]++;
    throw err;
  }

  /** A command that surely never reached a worker: its password unit and its counted login attempt are given back. */
  async notRun(admitted: Admitted): Promise<void> {
    const { kind, body, ip, requestId, holdsUnit, round } = admitted;
    if (holdsUnit) {
      this.passwordLane?.throughput.left(false, Date.now(), round);
      await this.passwordWork.release(requestId, sourceOf(ip));
    }
    if (commandContracts[kind].passwordSignIn && typeof body.email === 'string') {
      await this.loginLimiter.refund(body.email, ip, typeof body.deviceId === 'string' ? body.deviceId : undefined);
    }
  }

  /**
   * The answer of `requestId` has come (a result, a timeout, a failure): its password unit, if any, is
   * free again. `ip`: the client's, when this edge admitted it; a deferred result's unit is found by its lease.
   */
  answered(requestId: string, ip?: string): Promise<void> {
    return this.passwordWork.release(requestId, ip === undefined ? undefined : sourceOf(ip));
  }
}
