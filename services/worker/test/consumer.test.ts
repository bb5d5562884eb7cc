import { MemoryMailQueue } from '@authgate/shared/mail/memory-queue';
import { MemoryStuffingStore } from '@authgate/features/stuffing/stores/memory';
import { startStuffingWorker } from '@authgate/features/stuffing/worker/context';
import { passkeyContext } from '@authgate/features/passkeys/worker/context';
import { relyingPartyOf } from '@authgate/features/passkeys/worker/relying-party';
import { PasskeyRepository } from '@authgate/features/passkeys/stores/db-passkeys';
import { MemoryPasskeyChallenges } from '@authgate/features/passkeys/stores/memory-challenges';
import type { MailJob } from '@authgate/shared/mail/job';
import { EmailTokenRepository } from '@authgate/features/email/stores/email-tokens';
import { AccountMailLimits } from '../src/email/mail-limits.ts';
import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jwtVerify } from 'jose';
import { sql } from 'kysely';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey, type SigningKey } from '@authgate/shared/keys';
import { createLogger } from '@authgate/shared/logger';
import type { Command, CommandKind, Result, TokenPair } from '@authgate/shared/protocol';
import { LoginLimiter } from '@authgate/shared/security/login-limiter';
import { MemoryRevocations } from '@authgate/shared/security/revocations';
import { MemoryResultBus } from '@authgate/shared/transport/memory-results';
import { AuditLog } from '../src/audit.ts';
import { createCommandConsumer, type ConsumerStats } from '../src/consumer.ts';
import { loadHandlers } from '../src/feature.ts';
import type { WorkerContext } from '../src/context.ts';
import { CodeLimiter } from '@authgate/worker/commands/code-limiter';
import { DeviceLimits } from '@authgate/features/devices/worker/device-limits';
import { TotpSecretBox } from '@authgate/features/second-factor/worker/secret-box';
import { TotpRepository } from '@authgate/features/second-factor/stores/db-totp';
import { MemoryMfaChallengeStore } from '@authgate/features/second-factor/stores/challenges';
import type { Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { KnownDevices } from '@authgate/features/devices/stores/known-devices';
import { MemoryDeviceVerifications } from '@authgate/features/devices/stores/memory-verifications';
import { UserRepository } from '@authgate/shared/db/users';
import { PasswordHasher } from '../src/passwords.ts';
import { MemorySessionStore } from '@authgate/features/sessions/stores/memory-sessions';
import { AccessTokenSigner } from '../src/tokens.ts';
import { createTestDatabase, tempDir } from '../../../test/helpers/services.ts';
import { openPostgres } from '@authgate/shared/db/database';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { MemoryLiveEvents } from '@authgate/shared/live/memory-live';
import { MemorySessionDirectory } from '@authgate/features/sessions/stores/memory-directory';
import { SessionExtensions } from '../src/session-extensions.ts';

const log = createLogger({ level: 'silent', name: 'test' });
const NODE_ID = 'node-consumer';
const PASSWORD = 'correct horse battery';
const ISSUER = 'authgate-test';
const AUDIENCE = 'authgate-test-clients';

const newEmail = () => `user-${randomBytes(6).toString('hex')}@example.test`;

function makeCommand(kind: CommandKind, body: Record<string, unknown>, deadline = Date.now() + 10_000): Command {
  return { v: 1, requestId: randomUUID(), kind, body, replyTo: { nodeId: NODE_ID }, deadline, meta: { ip: '127.0.0.1' } };
}

describe('command consumer with a real worker context', () => {
  const tmp = tempDir('consumer');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let sessions: MemorySessionStore;
  let bus: MemoryResultBus;
  let signingKey: SigningKey;
  let consume: ReturnType<typeof createCommandConsumer>;
  const stats: ConsumerStats = { handled: 0, expired: 0, duplicates: 0, malformed: 0 };
  const received: Result[] = [];
  let ctx: WorkerContext;
  const ctxForFlaky = () => ctx;
  /** Every mail job the worker queued, as the mailer would take them. */
  const mails: MailJob[] = [];

  /** Runs one command through the consumer; returns the results published for it. */
  async function run(command: Command): Promise<Result[]> {
    await consume(command);
    // MemoryResultBus hands results over on a later tick.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    return received.filter((r) => r.requestId === command.requestId);
  }

  /** Runs a command that must publish exactly one result, and returns it. */
  async function one(command: Command): Promise<Result> {
    const results = await run(command);
    assert.equal(results.length, 1, `results for ${command.kind}`);
    return results[0]!;
  }

  async function usersWithEmail(email: string): Promise<number> {
    const row = await db
      .selectFrom('users')
      .select(db.fn.countAll<string>().as('n'))
      .where(sql<string>`lower(email)`, '=', email.toLowerCase())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function register(email: string, password = PASSWORD): Promise<Result> {
    return one(makeCommand('register', { email, password }));
  }

  async function login(email: string, password = PASSWORD): Promise<Result> {
    return one(makeCommand('login', { email, password }));
  }

  function pairOf(result: Result): TokenPair {
    assert.equal(result.ok, true, `expected success, got ${JSON.stringify(result)}`);
    assert.ok(result.ok);
    return result.data as TokenPair;
  }

  function errorOf(result: Result) {
    assert.equal(result.ok, false, `expected an error, got ${JSON.stringify(result)}`);
    assert.ok(!result.ok);
    return result.error;
  }

  before(async () => {
    database = await createTestDatabase('consumer');
    db = openPostgres({ url: database.url, poolSize: 10, log });
    await migrateToLatest(db);
    const config = loadConfig({ DATA_DIR: tmp.dir, NODE_ENV: 'test' }, 'worker');
    signingKey = await loadSigningKey(config);
    sessions = new MemorySessionStore();
    const directory = new MemorySessionDirectory();
    ctx = {
      users: new UserRepository(db),
      sessions,
      hasher: await PasswordHasher.create(4),
      signer: new AccessTokenSigner(signingKey, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900 }),
      refreshTtlMs: 60_000,
      refreshGraceMs: 0,
      loginLimiter: new LoginLimiter({
        store: new LimiterStore(undefined),
        namespace: `consumer-${randomBytes(4).toString('hex')}`,
        limits: { accountMaxFailures: 1000, accountWindowS: 60, freeFailures: 1000, backoffBaseS: 1, backoffMaxS: 1 },
      }),
      revocations: new MemoryRevocations(60_000),
      directory,
      extensions: new SessionExtensions(directory, log),
      live: new MemoryLiveEvents(),
      audit: new AuditLog(log),
      mail: new MemoryMailQueue(100),
      devices: new KnownDevices(db),
      deviceVerifications: new MemoryDeviceVerifications(),
      deviceVerification: true,
      deviceLimits: new DeviceLimits({
        store: new LimiterStore(undefined),
        namespace: `consumer-${randomBytes(4).toString('hex')}`,
        codes: { accountMaxFailures: 1000, ipMaxFailures: 1000, windowS: 60 },
        noticesPerHour: 100,
      }),
      emailTokens: new EmailTokenRepository(db),
      mailLimits: new AccountMailLimits(new LimiterStore(undefined), `consumer-${randomBytes(4).toString('hex')}`, { verification: 100, reset: 100 }),
      requireVerifiedEmail: false,
      mfa: {
        totp: new TotpRepository(db),
        box: new TotpSecretBox(randomBytes(32).toString('base64url')),
        challenges: new MemoryMfaChallengeStore(),
        limiter: new CodeLimiter({
          store: new LimiterStore(undefined),
          namespace: `consumer-${randomBytes(4).toString('hex')}`,
          limits: { accountMaxFailures: 1000, ipMaxFailures: 1000, windowS: 60 },
        }),
        now: Date.now,
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
    await ctx.mail.consume(
      async (job) => {
        mails.push(job);
        return { outcome: 'sent' };
      },
      { prefetch: 100 },
    );
    bus = new MemoryResultBus();
    await bus.subscribe(NODE_ID, (result) => received.push(result));
    consume = createCommandConsumer(ctx, await loadHandlers(ctx), bus, stats);
  });

  after(async () => {
    await bus?.close();
    await sessions?.close();
    await db?.destroy();
    await database?.drop();
    tmp.remove();
  });

  test('register: one result, status 201, with the new user id', async () => {
    const email = newEmail();
    const before = { ...stats };
    const result = await register(email);
    assert.equal(result.ok, true);
    assert.equal(result.status, 201);
    assert.ok(result.ok);
    const { userId } = result.data as { userId: string };
    assert.match(userId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(result.replyTo, { nodeId: NODE_ID });
    assert.equal(stats.handled, before.handled + 1);
    assert.equal(await usersWithEmail(email), 1);
  });

  test('a redelivered register command creates no second user and publishes no second result', async () => {
    const email = newEmail();
    const command = makeCommand('register', { email, password: PASSWORD });
    const first = await run(command);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.status, 201);
    const duplicatesBefore = stats.duplicates;

    const again = await run(structuredClone(command));
    assert.equal(again.length, 1, 'a second result was published');
    assert.equal(stats.duplicates, duplicatesBefore + 1);
    assert.equal(await usersWithEmail(email), 1);
  });

  test('a register whose result cannot be delivered at first is delivered once, by a retry, not by running it again', async () => {
    // Publishing the result fails once (Redis away for a moment): the worker retries the delivery
    // itself until the deadline; the registration is not run a second time.
    class FailingOnceBus extends MemoryResultBus {
      failed = false;
      override async deliver(result: Result): Promise<boolean> {
        if (!this.failed) {
          this.failed = true;
          throw new Error('result store unavailable');
        }
        return super.deliver(result);
      }
    }
    const flaky = new FailingOnceBus();
    const pushed: Result[] = [];
    await flaky.subscribe(NODE_ID, (result) => pushed.push(result));
    const flakyCtx = ctxForFlaky();
    const flakyConsume = createCommandConsumer(flakyCtx, await loadHandlers(flakyCtx), flaky, { handled: 0, expired: 0, duplicates: 0, malformed: 0 });
    const email = newEmail();
    const command = makeCommand('register', { email, password: PASSWORD });
    await flakyConsume(command);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(flaky.failed, true);
    assert.equal(pushed.length, 1);
    assert.equal(pushed[0]!.status, 201);
    assert.equal(await usersWithEmail(email), 1);
    await flaky.close();
  });

  test('a register whose worker died before delivering answers 201 with the same user when redelivered', async () => {
    // The first delivery created the user and its worker died before the result was kept: the
    // redelivered command must answer as the first would have, not 409 to its own registration.
    const email = newEmail();
    const command = makeCommand('register', { email, password: PASSWORD });
    const silentCtx = ctxForFlaky();
    const silent = createCommandConsumer(silentCtx, await loadHandlers(silentCtx), new MemoryResultBus(), {
      handled: 0,
      expired: 0,
      duplicates: 0,
      malformed: 0,
    });
    await silent(command);
    assert.equal(await usersWithEmail(email), 1);
    await consume(structuredClone(command), { attempt: 2 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    const results = received.filter((r) => r.requestId === command.requestId);
    assert.equal(results.length, 1);
    assert.equal(results[0]!.status, 201);
    assert.equal(await usersWithEmail(email), 1);
    // The first delivery queued the verification mail: the redelivered one queues none.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(mails.filter((m) => m.to === email && m.kind === 'verify_email').length, 1);
  });

  test('a register redelivered after a first run that stopped before its mail queues the mail once', async () => {
    // The first delivery created the user and died before it issued the verification token.
    const email = newEmail();
    const command = makeCommand('register', { email, password: PASSWORD });
    const created = await ctx.users.create({
      id: randomUUID(),
      email,
      passwordHash: await ctx.hasher.hash(PASSWORD),
      registrationRequestId: command.requestId,
    });
    assert.ok(created.created);
    await consume(structuredClone(command), { attempt: 2 });
    await consume(structuredClone(command), { attempt: 2 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(mails.filter((m) => m.to === email && m.kind === 'verify_email').length, 1);
  });

  test('a redelivered command whose result is kept already is not run again', async () => {
    const command = makeCommand('register', { email: newEmail(), password: PASSWORD });
    assert.equal((await one(command)).status, 201);
    const duplicatesBefore = stats.duplicates;
    // Another email in the same command would create a second user if it ran again.
    const rerun = { ...structuredClone(command), body: { email: newEmail(), password: PASSWORD } };
    await consume(rerun, { attempt: 2 });
    assert.equal(stats.duplicates, duplicatesBefore + 1);
    assert.equal(await usersWithEmail(rerun.body.email as string), 0);
  });

  test('registering a taken email (another case, another request) answers 409 email_taken', async () => {
    const email = newEmail();
    assert.equal((await register(email)).status, 201);
    const result = await register(email.toUpperCase());
    assert.equal(result.status, 409);
    assert.equal(errorOf(result).code, 'email_taken');
    assert.equal(await usersWithEmail(email), 1);
  });

  test('an expired command is dropped: no result, no user, counted as expired', async () => {
    const email = newEmail();
    const expiredBefore = stats.expired;
    const command = makeCommand('register', { email, password: PASSWORD }, Date.now() - 1_000);
    const results = await run(command);
    assert.deepEqual(results, []);
    assert.equal(stats.expired, expiredBefore + 1);
    assert.equal(await usersWithEmail(email), 0);
    assert.deepEqual(await bus.collect(command.replyTo.nodeId, [command.requestId]), []);
  });

  test('a malformed command is dropped and counted', async () => {
    const malformedBefore = stats.malformed;
    const command = { ...makeCommand('login', {}), v: 2 } as unknown as Command;
    assert.deepEqual(await run(command), []);
    assert.equal(stats.malformed, malformedBefore + 1);
  });

  test('wrong password and unknown email: both 401 invalid_credentials with identical error objects', async () => {
    const email = newEmail();
    assert.equal((await register(email)).status, 201);

    const wrongPassword = await login(email, 'not the right password');
    const unknownEmail = await login(newEmail(), PASSWORD);
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknownEmail.status, 401);
    assert.equal(errorOf(wrongPassword).code, 'invalid_credentials');
    assert.deepEqual(errorOf(unknownEmail), errorOf(wrongPassword));
  });

  test('login with the right password in another email case succeeds', async () => {
    const email = newEmail();
    const registered = await register(email);
    assert.ok(registered.ok);
    const { userId } = registered.data as { userId: string };
    const pair = pairOf(await login(email.toUpperCase()));
    assert.equal(pair.user.id, userId);
    assert.equal(pair.tokenType, 'Bearer');
    assert.equal(pair.expiresIn, 900);
  });

  test('a weak password gives 400 weak_password and no user', async () => {
    const email = newEmail();
    const result = await register(email, 'short');
    assert.equal(result.status, 400);
    assert.equal(errorOf(result).code, 'weak_password');
    assert.equal(await usersWithEmail(email), 0);
  });

  test('a 73-byte password gives 400 invalid_request and no user', async () => {
    const email = newEmail();
    const password = 'p'.repeat(73);
    assert.equal(Buffer.byteLength(password), 73);
    const result = await register(email, password);
    assert.equal(result.status, 400);
    assert.equal(errorOf(result).code, 'invalid_request');
    assert.equal(await usersWithEmail(email), 0);

    // 72 bytes is the most bcrypt reads: still accepted.
    assert.equal((await register(newEmail(), `${'pq'.repeat(35)}rs`)).status, 201);
  });

  test('an invalid body gives 400 invalid_request with details', async () => {
    const result = await one(makeCommand('register', { email: 'not-an-email', password: PASSWORD }));
    assert.equal(result.status, 400);
    const error = errorOf(result);
    assert.equal(error.code, 'invalid_request');
    assert.ok(
      error.details?.some((d) => d.path === 'email'),
      JSON.stringify(error.details),
    );
  });

  test('login issues a verifiable token pair', async () => {
    const email = newEmail();
    const registered = await register(email);
    assert.ok(registered.ok);
    const { userId } = registered.data as { userId: string };
    const pair = pairOf(await login(email));
    assert.equal(pair.user.email, email);
    const { payload, protectedHeader } = await jwtVerify(pair.accessToken, createPublicKey(signingKey.privateKey), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
    });
    assert.deepEqual(protectedHeader, { alg: 'RS256', kid: signingKey.kid, typ: 'JWT' });
    assert.equal(payload.sub, userId);
    assert.equal(payload.sid, pair.sessionId);
    assert.equal(payload.exp! - payload.iat!, 900);
    assert.match(String(payload.jti), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(!pair.refreshToken.includes(PASSWORD));
  });

  test('login, refresh, then reusing the first refresh token: invalid_token, and the family is revoked', async () => {
    const email = newEmail();
    assert.equal((await register(email)).status, 201);
    const first = pairOf(await login(email));

    const second = pairOf(await one(makeCommand('refresh', { refreshToken: first.refreshToken })));
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal(second.sessionId, first.sessionId);
    assert.equal(second.user.email, email);

    const reuse = await one(makeCommand('refresh', { refreshToken: first.refreshToken }));
    assert.equal(reuse.status, 401);
    assert.equal(errorOf(reuse).code, 'invalid_token');

    const afterReuse = await one(makeCommand('refresh', { refreshToken: second.refreshToken }));
    assert.equal(afterReuse.status, 401);
    assert.equal(errorOf(afterReuse).code, 'invalid_token');
  });

  test('a refresh command that comes twice on a first delivery (a publisher re-send) rotates once, answers once, and the session lives on', async () => {
    const email = newEmail();
    assert.equal((await register(email)).status, 201);
    const first = pairOf(await login(email));
    const command = makeCommand('refresh', { refreshToken: first.refreshToken });
    const duplicatesBefore = stats.duplicates;
    const results = await run(command);
    assert.equal(results.length, 1);
    const second = pairOf(results[0]!);
    const again = await run(structuredClone(command));
    assert.equal(again.length, 1, 'no second result');
    assert.equal(stats.duplicates, duplicatesBefore + 1);
    // Not taken for a reuse: the successor it answered with is still current.
    const third = pairOf(await one(makeCommand('refresh', { refreshToken: second.refreshToken })));
    assert.equal(third.sessionId, first.sessionId);
  });

  test("a refresh moves its session's end in the sessions list at the next batch, and never brings an ended session back", async () => {
    const email = newEmail();
    assert.equal((await register(email)).status, 201);
    const first = pairOf(await login(email));
    const listed = async () => (await ctx.directory.list(first.user.id)).find((s) => s.id === first.sessionId);
    const atLogin = (await listed())!.expiresAt;
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later millisecond than the login's
    const second = pairOf(await one(makeCommand('refresh', { refreshToken: first.refreshToken })));
    assert.equal((await listed())!.expiresAt, atLogin, 'not written by the refresh itself');
    await ctx.extensions.flush();
    assert.ok((await listed())!.expiresAt > atLogin, 'moved by the batch');

    await one(makeCommand('refresh', { refreshToken: second.refreshToken }));
    assert.equal((await one(makeCommand('logout', { refreshToken: second.refreshToken }))).status, 401, 'a replaced token: the family ends');
    await ctx.extensions.flush();
    assert.equal(await listed(), undefined);
  });

  test('logout ends the session: the refresh token is then refused', async () => {
    const email = newEmail();
    assert.equal((await register(email)).status, 201);
    const pair = pairOf(await login(email));

    const loggedOut = await one(makeCommand('logout', { refreshToken: pair.refreshToken }));
    assert.equal(loggedOut.ok, true);
    assert.equal(loggedOut.status, 204);

    const refresh = await one(makeCommand('refresh', { refreshToken: pair.refreshToken }));
    assert.equal(refresh.status, 401);
    assert.equal(errorOf(refresh).code, 'invalid_token');
    const again = await one(makeCommand('logout', { refreshToken: pair.refreshToken }));
    assert.equal(again.status, 401);
    assert.equal(errorOf(again).code, 'invalid_token');
  });

  test('a malformed refresh token gives invalid_token', async () => {
    const result = await one(makeCommand('refresh', { refreshToken: 'rt1.not-a-real-token-at-all' }));
    assert.equal(result.status, 401);
    assert.equal(errorOf(result).code, 'invalid_token');
  });
});
