import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { AppError } from '@authgate/shared/errors';
import { LeasedPerMinuteLimiter } from '@authgate/shared/security/leased-limiter';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { LoginLimiter } from '@authgate/shared/security/login-limiter';
import { MemoryPasswordWork, sourceOf } from '@authgate/shared/security/password-work';
import { Admission } from '../src/admission.ts';
import { LaneThroughput } from '../src/lane-throughput.ts';

// The edge's one admission path on its in-process drivers: the order of its checks, and that every
// resource it takes for a command (the source's password-work unit, its place on the lane, the
// counted login attempt) is given back on each way the command can end without a worker's answer.

const PASSWORD = 'correct horse battery staple';
const TIMEOUT_MS = 1_000;

interface Options {
  ipPerMinute?: number;
  perSource?: number;
  accountMaxFailures?: number;
  lane?: LaneThroughput;
}

function admissionWith(options: Options = {}) {
  const store = new LimiterStore(undefined);
  const namespace = `admission-${randomBytes(4).toString('hex')}`;
  const work = new MemoryPasswordWork(options.perSource ?? 100);
  const loginLimiter = new LoginLimiter({
    store,
    namespace,
    limits: { accountMaxFailures: options.accountMaxFailures ?? 1_000, accountWindowS: 60, freeFailures: 1_000, backoffBaseS: 1, backoffMaxS: 1 },
  });
  const ip = new LeasedPerMinuteLimiter(store, `${namespace}:ip`, options.ipPerMinute ?? 6_000);
  const lane = options.lane ? { throughput: options.lane, admitShare: 0.75 } : undefined;
  const admission = new Admission(ip, loginLimiter, work, TIMEOUT_MS, lane);
  /** The round a new unit of `address` would get now: how many it holds. */
  const held = (address: string) => {
    const probe = `probe-${randomBytes(4).toString('hex')}`;
    const round = work.acquireNow(sourceOf(address), probe, Date.now() + 60_000);
    work.releaseNow(probe);
    return round;
  };
  return { admission, held };
}

const login =
  (email: string, extra: Record<string, unknown> = {}) =>
  () => ({ email, password: PASSWORD, ...extra });

async function refusedWith(promise: Promise<unknown>, code: string): Promise<AppError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError, String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

describe('Admission: the edge admits a command', () => {
  test('the per-IP limit comes first: past it, even a malformed body is refused rate_limited without being read', async () => {
    const { admission } = admissionWith({ ipPerMinute: 2 });
    await admission.admit('login', login('a@example.com'), '10.0.0.1');
    await admission.admit('login', login('a@example.com'), '10.0.0.1');
    let read = false;
    const err = await refusedWith(
      admission.admit(
        'login',
        () => {
          read = true;
          return 'not an object';
        },
        '10.0.0.1',
      ),
      'rate_limited',
    );
    assert.equal(read, false, 'the body of a refused request is not parsed');
    assert.ok(err.retryAfter !== undefined && err.retryAfter >= 1, 'it says when to retry');
    assert.equal(admission.refusals.ip, 1);
  });

  test('then the text and the schema: NUL, an unpaired surrogate or a missing field is invalid_request, and takes no unit', async () => {
    const { admission, held } = admissionWith();
    await refusedWith(admission.admit('login', login('a\u0000b@example.com'), '10.0.0.2'), 'invalid_request');
    await refusedWith(admission.admit('login', login('a@example.com', { deviceId: 'x\ud800' }), '10.0.0.2'), 'invalid_request');
    const missing = await refusedWith(
      admission.admit('login', () => ({ email: 'a@example.com' }), '10.0.0.2'),
      'invalid_request',
    );
    assert.ok(
      missing.details?.some((issue) => JSON.stringify(issue).includes('password')),
      'it names the missing field',
    );
    assert.equal(held('10.0.0.2'), 0, 'no password-work unit is held for refused input');
  });

  test('a weak new password is weak_password before any password work is taken', async () => {
    const { admission, held } = admissionWith();
    await refusedWith(
      admission.admit('register', () => ({ email: 'w@example.com', password: 'password1' }), '10.0.0.3'),
      'weak_password',
    );
    assert.equal(held('10.0.0.3'), 0);
  });

  test('each password command of a source gets the next round; another source starts at round 0; an answer frees its unit', async () => {
    const { admission, held } = admissionWith();
    const first = await admission.admit('login', login('r1@example.com'), '10.0.0.4');
    const second = await admission.admit('login', login('r2@example.com'), '10.0.0.4');
    const other = await admission.admit('register', () => ({ email: 'r3@example.com', password: PASSWORD }), '10.0.0.5');
    assert.deepEqual([first.round, second.round, other.round], [0, 1, 0]);
    assert.equal(first.holdsUnit, true);
    await admission.answered(first.requestId, first.ip);
    // A deferred answer may reach an edge that knows only the requestId.
    await admission.answered(second.requestId);
    assert.equal(held('10.0.0.4'), 0, 'both units are back');
  });

  test('a session command holds no password-work unit', async () => {
    const { admission, held } = admissionWith();
    const refresh = await admission.admit('refresh', () => ({ refreshToken: 'r'.repeat(43) }), '10.0.0.6');
    assert.equal(refresh.holdsUnit, false);
    assert.equal(refresh.round, undefined);
    assert.equal(held('10.0.0.6'), 0);
  });

  test('past PASSWORD_WORK_PER_SOURCE units in flight: 429 rate_limited, counted, and nothing more is held', async () => {
    const { admission, held } = admissionWith({ perSource: 2 });
    await admission.admit('login', login('b1@example.com'), '10.0.0.7');
    await admission.admit('login', login('b2@example.com'), '10.0.0.7');
    await refusedWith(admission.admit('login', login('b3@example.com'), '10.0.0.7'), 'rate_limited');
    assert.equal(admission.refusals.passwordWork, 1);
    assert.equal(held('10.0.0.7'), undefined, 'still two held: the bound');
    assert.equal(held('10.0.0.8'), 0, 'another source is not touched');
  });

  test('a lane that would not answer within its share of the deadline: 503 overloaded with Retry-After, and the unit is given back', async () => {
    const lane = new LaneThroughput(50, 200);
    const { admission, held } = admissionWith({ lane });
    // Commands enter and none is answered: after a few windows the lane reads as stalled.
    const inFlight = [];
    for (let i = 0; i < 4; i++) inFlight.push(await admission.admit('login', login(`s${i}@example.com`), `10.0.1.${i}`));
    await new Promise((resolve) => setTimeout(resolve, 260));
    const err = await refusedWith(admission.admit('login', login('late@example.com'), '10.0.0.9'), 'overloaded');
    assert.ok(err.retryAfter !== undefined && err.retryAfter >= 1, 'it says when to retry');
    assert.equal(admission.laneRefusals, 1);
    assert.equal(held('10.0.0.9'), 0, 'the refused command holds no unit');
    assert.equal(lane.depth, 4, 'and takes no place on the lane');
  });

  test("a source's later round that the lane would not answer in time: 503, while its units already held stay held", async () => {
    const lane = new LaneThroughput(50, 200);
    const { admission, held } = admissionWith({ lane });
    for (let i = 0; i < 4; i++) await admission.admit('login', login(`m${i}@example.com`), '10.0.2.1');
    await new Promise((resolve) => setTimeout(resolve, 260));
    await refusedWith(admission.admit('login', login('m4@example.com'), '10.0.2.1'), 'overloaded');
    assert.equal(held('10.0.2.1'), 4, 'the four admitted keep their units; the refused one holds none');
    assert.equal(lane.depth, 4);
  });

  test('a login refused by the login limits gives back its unit and its place on the lane', async () => {
    const lane = new LaneThroughput();
    const { admission, held } = admissionWith({ accountMaxFailures: 1, lane });
    await admission.admit('login', login('locked@example.com'), '10.0.0.10');
    await refusedWith(admission.admit('login', login('locked@example.com'), '10.0.0.11'), 'rate_limited');
    assert.equal(admission.refusals.login, 1);
    assert.equal(held('10.0.0.11'), 0);
    assert.equal(lane.depth, 1, 'only the first is on the lane');
  });

  test('notRun (never published): the unit, the place on the lane and the counted login attempt all come back', async () => {
    const lane = new LaneThroughput();
    const { admission, held } = admissionWith({ accountMaxFailures: 1, lane });
    const admitted = await admission.admit('login', login('again@example.com', { deviceId: 'd1' }), '10.0.0.12');
    await admission.notRun(admitted);
    assert.equal(held('10.0.0.12'), 0);
    assert.equal(lane.depth, 0);
    // The attempt was refunded: the account's single allowed attempt is there again.
    await admission.admit('login', login('again@example.com', { deviceId: 'd1' }), '10.0.0.12');
  });
});
