import { EmailTokenRepository } from '@authgate/features/email/stores/email-tokens';
import { MemoryStuffingStore } from '@authgate/features/stuffing/stores/memory';
import { startStuffingWorker } from '@authgate/features/stuffing/worker/context';
import { passkeyContext } from '@authgate/features/passkeys/worker/context';
import { relyingPartyOf } from '@authgate/features/passkeys/worker/relying-party';
import { PasskeyRepository } from '@authgate/features/passkeys/stores/db-passkeys';
import { MemoryPasskeyChallenges } from '@authgate/features/passkeys/stores/memory-challenges';
import { KnownDevices } from '@authgate/features/devices/stores/known-devices';
import { MemoryDeviceVerifications } from '@authgate/features/devices/stores/memory-verifications';
import { AccountMailLimits } from '@authgate/worker/email/mail-limits';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@authgate/shared/config';
import { openPostgres, type Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { TotpRepository } from '@authgate/features/second-factor/stores/db-totp';
import { UserRepository } from '@authgate/shared/db/users';
import { AppError } from '@authgate/shared/errors';
import { loadSigningKey } from '@authgate/shared/keys';
import { MemoryLiveEvents } from '@authgate/shared/live/memory-live';
import { createLogger } from '@authgate/shared/logger';
import { MemoryMailQueue } from '@authgate/shared/mail/memory-queue';
import { MemoryMfaChallengeStore } from '@authgate/features/second-factor/stores/challenges';
import type { Command, CommandKind, TokenPair } from '@authgate/shared/protocol';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { LoginLimiter } from '@authgate/shared/security/login-limiter';
import { MemoryRevocations } from '@authgate/shared/security/revocations';
import { MemorySessionDirectory } from '@authgate/features/sessions/stores/memory-directory';
import { SessionExtensions } from '@authgate/worker/session-extensions';
import { MemorySessionStore } from '@authgate/features/sessions/stores/memory-sessions';
import { AuditLog } from '@authgate/worker/audit';
import type { HandlerOutcome, WorkerContext } from '@authgate/worker/context';
import { loadHandlers } from '@authgate/worker/feature';
import { CodeLimiter } from '@authgate/worker/commands/code-limiter';
import { DeviceLimits } from '../../devices/worker/device-limits.ts';
import { TotpSecretBox } from '../worker/secret-box.ts';
import { codeAt, stepAt } from '../worker/totp.ts';
import { PasswordHasher } from '@authgate/worker/passwords';
import { AccessTokenSigner } from '@authgate/worker/tokens';
import { createTestDatabase, tempDir } from '../../../test/helpers/services.ts';

const PASSWORD = 'correct horse battery';
const log = createLogger({ level: 'silent', name: 'test' });

/**
 * The second factor in the worker, with a clock the test sets (WorkerContext.mfa.now): every step
 * boundary, drift and replay case is exact here. The end-to-end tests (features/second-factor/test/mfa-*.test.ts) run the
 * same flows through real processes at real time.
 */
describe('second factor in the worker, on a clock the test controls', () => {
  const tmp = tempDir('second-factor');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let ctx: WorkerContext;
  let clock = Date.UTC(2026, 0, 1, 12, 0, 15); // mid-step
  const audit: string[] = [];

  const command = (kind: CommandKind, body: Record<string, unknown>, auth?: { sub: string; sid: string }): Command => ({
    v: 1,
    requestId: randomUUID(),
    kind,
    body,
    replyTo: { nodeId: 'node-test' },
    deadline: Date.now() + 10_000,
    meta: { ip: '192.0.2.1', ...(auth ? { auth } : {}) },
  });
  const run = async (kind: CommandKind, body: Record<string, unknown>, auth?: { sub: string; sid: string }): Promise<HandlerOutcome> =>
    (await loadHandlers(ctx))[kind](command(kind, body, auth));
  const refused = async (work: Promise<unknown>): Promise<AppError> => {
    try {
      await work;
    } catch (err) {
      assert.ok(err instanceof AppError, String(err));
      return err;
    }
    assert.fail('expected a refusal');
  };

  /** A user with TOTP on, confirmed at the clock's step; its secret, recovery codes and a session. */
  async function enrolled() {
    const email = `mfa-${randomBytes(6).toString('hex')}@example.test`;
    const { userId } = (await run('register', { email, password: PASSWORD })).data as { userId: string };
    const pair = (await run('login', { email, password: PASSWORD })).data as TokenPair;
    const auth = { sub: userId, sid: pair.sessionId };
    const { secret } = (await run('mfa_totp_setup', { password: PASSWORD }, auth)).data as { secret: string };
    const { recoveryCodes } = (await run('mfa_totp_confirm', { code: codeAt(secret, clock) }, auth)).data as { recoveryCodes: string[] };
    return { email, userId, auth, secret, recoveryCodes };
  }

  async function mfaToken(email: string): Promise<string> {
    const challenge = await refused(run('login', { email, password: PASSWORD }));
    assert.equal(challenge.code, 'mfa_required');
    assert.deepEqual(challenge.challenge?.methods, ['totp', 'recovery']);
    return challenge.challenge!.mfaToken as string;
  }

  before(async () => {
    database = await createTestDatabase('second_factor');
    db = openPostgres({ url: database.url, poolSize: 10, log });
    await migrateToLatest(db);
    const config = loadConfig({ DATA_DIR: tmp.dir, NODE_ENV: 'test' }, 'worker');
    const auditLog = new AuditLog(log);
    const emit = auditLog.emit.bind(auditLog);
    auditLog.emit = (event) => {
      audit.push(event.action);
      emit(event);
    };
    const limits = new LimiterStore(undefined);
    const directory = new MemorySessionDirectory();
    ctx = {
      users: new UserRepository(db),
      sessions: new MemorySessionStore(),
      hasher: await PasswordHasher.create(4),
      signer: new AccessTokenSigner(await loadSigningKey(config), { issuer: 'authgate', audience: 'authgate', ttlSeconds: 900 }),
      refreshTtlMs: 60_000,
      refreshGraceMs: 0,
      loginLimiter: new LoginLimiter({
        store: limits,
        namespace: 'sf',
        limits: { accountMaxFailures: 1000, accountWindowS: 60, freeFailures: 1000, backoffBaseS: 1, backoffMaxS: 1 },
      }),
      revocations: new MemoryRevocations(60_000),
      directory,
      extensions: new SessionExtensions(directory, log),
      live: new MemoryLiveEvents(),
      audit: auditLog,
      mail: new MemoryMailQueue(100),
      devices: new KnownDevices(db),
      deviceVerifications: new MemoryDeviceVerifications(),
      deviceVerification: false,
      deviceLimits: new DeviceLimits({
        store: limits,
        namespace: 'sf',
        codes: { accountMaxFailures: 1000, ipMaxFailures: 1000, windowS: 60 },
        noticesPerHour: 100,
      }),
      emailTokens: new EmailTokenRepository(db),
      mailLimits: new AccountMailLimits(limits, 'sf', { verification: 100, reset: 100 }),
      requireVerifiedEmail: false,
      mfa: {
        totp: new TotpRepository(db),
        box: new TotpSecretBox(randomBytes(32).toString('base64url')),
        challenges: new MemoryMfaChallengeStore(),
        limiter: new CodeLimiter({ store: limits, namespace: 'sf', limits: { accountMaxFailures: 12, ipMaxFailures: 1000, windowS: 3600 } }),
        now: () => clock,
      },
      passkeys: passkeyContext(
        {
          relyingParty: relyingPartyOf('http://localhost:8080'),
          credentials: new PasskeyRepository(db),
          challenges: new MemoryPasskeyChallenges(),
          challengeTtlS: 300,
        },
        log,
      ),
      stuffing: startStuffingWorker(config, { store: new MemoryStuffingStore(), log }),
      log,
    };
  });

  after(async () => {
    await db?.destroy();
    await database?.drop();
    tmp.remove();
  });

  test('confirm uses up its step: the same code cannot then log in; the next step’s can', async () => {
    const { email, secret } = await enrolled();
    const token = await mfaToken(email);
    assert.equal((await refused(run('mfa_verify', { mfaToken: token, code: codeAt(secret, clock) }))).code, 'invalid_code');
    clock += 30_000;
    const pair = (await run('mfa_verify', { mfaToken: token, code: codeAt(secret, clock) })).data as TokenPair;
    assert.ok(pair.accessToken && pair.refreshToken);
  });

  test('drift: a phone 30 s fast or slow is accepted, 60 s is not; a replayed or older step is refused', async () => {
    const { email, secret } = await enrolled(); // step S used
    clock += 60_000; // server at S+2
    const token = await mfaToken(email);
    assert.equal((await refused(run('mfa_verify', { mfaToken: token, code: codeAt(secret, clock - 60_000) }))).code, 'invalid_code', '2 steps slow');
    assert.equal((await refused(run('mfa_verify', { mfaToken: token, code: codeAt(secret, clock + 60_000) }))).code, 'invalid_code', '2 steps fast');
    await run('mfa_verify', { mfaToken: token, code: codeAt(secret, clock - 30_000) }); // S+1: 1 step slow
    const again = await mfaToken(email);
    assert.equal((await refused(run('mfa_verify', { mfaToken: again, code: codeAt(secret, clock - 30_000) }))).code, 'invalid_code', 'replay of S+1');
    await run('mfa_verify', { mfaToken: again, code: codeAt(secret, clock + 30_000) }); // S+3: 1 step fast
    const third = await mfaToken(email);
    assert.equal(
      (await refused(run('mfa_verify', { mfaToken: third, code: codeAt(secret, clock) }))).code,
      'invalid_code',
      'S+2 is older than S+3, already accepted',
    );
  });

  test('two workers accepting one code at once: the row lets exactly one through', async () => {
    const { userId } = await enrolled();
    const step = stepAt(clock) + 1;
    const totp = new TotpRepository(db);
    const accepted = await Promise.all(Array.from({ length: 10 }, () => totp.useStep(userId, step)));
    assert.equal(accepted.filter(Boolean).length, 1);
  });

  test('a recovery code works once, also under concurrency; a recovery code of another account does not work', async () => {
    const a = await enrolled();
    const b = await enrolled();
    const tokens = await Promise.all(Array.from({ length: 4 }, () => mfaToken(a.email)));
    const outcomes = await Promise.allSettled(tokens.map((t) => run('mfa_verify', { mfaToken: t, recoveryCode: a.recoveryCodes[0] })));
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    const other = await mfaToken(b.email);
    assert.equal((await refused(run('mfa_verify', { mfaToken: other, recoveryCode: a.recoveryCodes[1] }))).code, 'invalid_code');
  });

  test('the fifth wrong code ends the mfaToken; the account limit then refuses codes (429)', async () => {
    const { email, secret } = await enrolled();
    clock += 30_000;
    const token = await mfaToken(email);
    const wrong = codeAt(secret, clock + 10 * 60_000);
    for (let i = 0; i < 5; i++) assert.equal((await refused(run('mfa_verify', { mfaToken: token, code: wrong }))).code, 'invalid_code');
    assert.equal((await refused(run('mfa_verify', { mfaToken: token, code: codeAt(secret, clock) }))).code, 'invalid_token');
    // 12 wrong codes an hour for this account (the limiter of this test): 5 gone, 7 to go.
    const next = await mfaToken(email);
    for (let i = 0; i < 5; i++) await refused(run('mfa_verify', { mfaToken: next, code: wrong }));
    const last = await mfaToken(email);
    for (let i = 0; i < 2; i++) await refused(run('mfa_verify', { mfaToken: last, code: wrong }));
    const limited = await refused(run('mfa_verify', { mfaToken: last, code: codeAt(secret, clock) }));
    assert.equal(limited.code, 'rate_limited');
    assert.ok(limited.retryAfter! > 0 && limited.retryAfter! <= 3600);
  });

  test('the password checks of setup, disable and change count on the login limits: past them, 429 before any bcrypt', async () => {
    const email = `mfa-${randomBytes(6).toString('hex')}@example.test`;
    const { userId } = (await run('register', { email, password: PASSWORD })).data as { userId: string };
    const auth = { sub: userId, sid: randomUUID() };
    let compares = 0;
    const strict: WorkerContext = {
      ...ctx,
      hasher: await PasswordHasher.create(4, {
        started: (op) => {
          if (op === 'compare') compares++;
          return () => {};
        },
      }),
      loginLimiter: new LoginLimiter({
        store: new LimiterStore(undefined),
        namespace: 'strict',
        limits: { accountMaxFailures: 4, accountWindowS: 600, freeFailures: 1000, backoffBaseS: 60, backoffMaxS: 60 },
      }),
    };
    const checked = audit.length;
    const strictHandlers = await loadHandlers(strict);
    const attempt = (kind: CommandKind, body: Record<string, unknown>) => strictHandlers[kind](command(kind, body, auth));
    const wrong = async (kind: CommandKind, body: Record<string, unknown>) =>
      assert.equal((await refused(attempt(kind, body))).code, 'invalid_credentials', kind);
    await wrong('mfa_totp_setup', { password: 'not the password' });
    await wrong('password_change', { currentPassword: 'still not it', newPassword: 'a brand new staple battery' });
    // TOTP on (through the test's own limits), so that disable reaches its password check.
    const { secret } = (await run('mfa_totp_setup', { password: PASSWORD }, auth)).data as { secret: string };
    const { recoveryCodes } = (await run('mfa_totp_confirm', { code: codeAt(secret, clock) }, auth)).data as { recoveryCodes: string[] };
    await wrong('mfa_totp_disable', { password: 'nor this', code: recoveryCodes[0] });
    await wrong('mfa_totp_disable', { password: 'nor that', code: recoveryCodes[0] });
    assert.equal(compares, 4);
    assert.deepEqual(
      audit.slice(checked).filter((action) => action === 'password.check_failed'),
      Array(4).fill('password.check_failed'),
    );
    // The account's login budget is spent: even the right password is refused, and no bcrypt runs for it.
    const limited = await refused(attempt('mfa_totp_disable', { password: PASSWORD, code: recoveryCodes[0] }));
    assert.equal(limited.code, 'rate_limited');
    assert.ok(limited.retryAfter! > 0 && limited.retryAfter! <= 600, String(limited.retryAfter));
    assert.equal((await refused(attempt('password_change', { currentPassword: PASSWORD, newPassword: 'a brand new staple battery' }))).code, 'rate_limited');
    assert.equal(compares, 4, 'no bcrypt compare past the limit');
    assert.equal(await ctx.mfa.totp.isEnabled(userId), true, 'nothing changed');
    // The same counters as /auth/login: the edge's admission of a login of this address is refused too.
    await assert.rejects(strict.loginLimiter.admit(email, '192.0.2.1'), (err: unknown) => err instanceof AppError && err.code === 'rate_limited');
  });

  test('setup twice is fine while pending, refused once on; confirm without setup is not_found; disable needs both factors', async () => {
    const email = `mfa-${randomBytes(6).toString('hex')}@example.test`;
    const { userId } = (await run('register', { email, password: PASSWORD })).data as { userId: string };
    const auth = { sub: userId, sid: randomUUID() };
    assert.equal((await refused(run('mfa_totp_confirm', { code: '123456' }, auth))).code, 'not_found');
    const first = (await run('mfa_totp_setup', { password: PASSWORD }, auth)).data as { secret: string };
    const second = (await run('mfa_totp_setup', { password: PASSWORD }, auth)).data as { secret: string };
    assert.notEqual(first.secret, second.secret);
    assert.equal((await refused(run('mfa_totp_confirm', { code: codeAt(first.secret, clock) }, auth))).code, 'invalid_code', 'the replaced secret');
    const { recoveryCodes } = (await run('mfa_totp_confirm', { code: codeAt(second.secret, clock) }, auth)).data as { recoveryCodes: string[] };
    assert.equal((await refused(run('mfa_totp_setup', { password: PASSWORD }, auth))).code, 'mfa_already_enabled');
    assert.equal((await refused(run('mfa_totp_disable', { password: 'wrong password', code: recoveryCodes[0] }, auth))).code, 'invalid_credentials');
    assert.equal((await refused(run('mfa_totp_disable', { password: PASSWORD, code: '000000x' }, auth))).code, 'invalid_code');
    assert.equal((await run('mfa_totp_disable', { password: PASSWORD, code: recoveryCodes[0] }, auth)).status, 204);
    assert.equal((await refused(run('mfa_totp_disable', { password: PASSWORD, code: recoveryCodes[1] }, auth))).code, 'not_found');
    assert.equal((await run('login', { email, password: PASSWORD })).status, 200);
    for (const action of ['mfa.enabled', 'mfa.disabled', 'mfa.failed', 'login.mfa_required']) assert.ok(audit.includes(action), action);
  });
});
