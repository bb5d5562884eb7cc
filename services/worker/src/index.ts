import type { Config } from '@authgate/shared/config';
import type { WorkerDrivers } from '@authgate/shared/composition';
import { KnownDevices } from '@authgate/features/devices/stores/known-devices';
import { EmailTokenRepository } from '@authgate/features/email/stores/email-tokens';
import { TotpRepository } from '@authgate/features/second-factor/stores/db-totp';
import { UserRepository } from '@authgate/shared/db/users';
import { loadSigningKey } from '@authgate/shared/keys';
import type { Logger } from '@authgate/shared/logger';
import { LoginLimiter, loginLimitsOf } from '@authgate/shared/security/login-limiter';
import type { Tracing } from '@authgate/shared/tracing/tracing';
import type { Registry } from 'prom-client';
import { AuditLog } from './audit.ts';
import { AccountMailLimits } from './email/mail-limits.ts';
import { createCommandConsumer, createPoisonAnswer, type ConsumerStats } from './consumer.ts';
import type { WorkerContext } from './context.ts';
import { loadHandlers } from './feature.ts';
import { WorkerMetrics } from './observe/metrics.ts';
import { bothObservers, WorkerTracing } from './observe/tracing.ts';
import { CodeLimiter, codeLimitsOf } from '@authgate/worker/commands/code-limiter';
import { DeviceLimits } from '@authgate/features/devices/worker/device-limits';
import { loadMfaEncryptionKey, TotpSecretBox } from '@authgate/features/second-factor/worker/secret-box';
import { PasswordHasher } from './passwords.ts';
import { AccessTokenSigner } from './tokens.ts';
import { SessionExtensions } from './session-extensions.ts';
import { passkeyContext } from '@authgate/features/passkeys/worker/context';
import { relyingPartyOf } from '@authgate/features/passkeys/worker/relying-party';
import { PasskeyRepository } from '@authgate/features/passkeys/stores/db-passkeys';
import { startStuffingWorker } from '@authgate/features/stuffing/worker/context';

export interface WorkerHandle {
  stats: ConsumerStats;
  ready(): Promise<boolean>;
  /** Stops taking commands and finishes those in hand; the drivers are closed by their owner. */
  stop(): Promise<void>;
}

/** The auth worker: consumes commands, does the expensive work, answers on the requester's channel. */
export interface WorkerObservability {
  /** The process's metrics registry (METRICS_PORT not off). */
  metrics?: Registry | undefined;
  /** Tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set). */
  tracing?: Tracing | undefined;
}

export async function startWorker(config: Config, deps: WorkerDrivers & WorkerObservability & { log: Logger }): Promise<WorkerHandle> {
  const log = deps.log.child({ role: 'worker' });
  const metrics = deps.metrics ? new WorkerMetrics(deps.metrics, config.UV_THREADPOOL_SIZE) : undefined;
  const tracing = deps.tracing ? new WorkerTracing(deps.tracing) : undefined;
  const users = new UserRepository(deps.db);
  const stuffing = startStuffingWorker(config, { store: deps.stuffing, events: deps.events, metrics: deps.metrics, log });
  const untraced: WorkerContext = {
    users,
    sessions: deps.sessions,
    hasher: await PasswordHasher.create(config.BCRYPT_COST, metrics),
    signer: new AccessTokenSigner(await loadSigningKey(config), {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_S,
    }),
    refreshTtlMs: config.REFRESH_TOKEN_TTL_S * 1000,
    refreshGraceMs: config.REFRESH_GRACE_MS,
    loginLimiter: new LoginLimiter({ store: deps.limits, namespace: config.NAMESPACE, limits: loginLimitsOf(config) }),
    revocations: deps.revocations,
    directory: deps.directory,
    extensions: new SessionExtensions(deps.directory, log),
    live: deps.live,
    // Each auth action is a log line and one audit event on the bus.
    audit: new AuditLog(log.child({ component: 'audit' }), deps.events),
    mail: deps.mail,
    devices: new KnownDevices(deps.db),
    deviceVerifications: deps.deviceVerifications,
    deviceVerification: config.DEVICE_VERIFICATION === 'on',
    deviceLimits: new DeviceLimits({
      store: deps.limits,
      namespace: config.NAMESPACE,
      codes: codeLimitsOf(config),
      noticesPerHour: config.DEVICE_MAILS_PER_HOUR,
    }),
    emailTokens: new EmailTokenRepository(deps.db),
    mailLimits: new AccountMailLimits(deps.limits, config.NAMESPACE, {
      verification: config.EMAIL_RESEND_PER_HOUR,
      reset: config.PASSWORD_RESET_MAILS_PER_HOUR,
      notices: config.SECURITY_NOTICE_MAILS_PER_HOUR,
    }),
    requireVerifiedEmail: config.REQUIRE_VERIFIED_EMAIL,
    mfa: {
      totp: new TotpRepository(deps.db),
      box: new TotpSecretBox(loadMfaEncryptionKey(config)),
      challenges: deps.mfaChallenges,
      limiter: new CodeLimiter({ store: deps.limits, namespace: config.NAMESPACE, limits: codeLimitsOf(config) }),
      now: Date.now,
    },
    passkeys: passkeyContext(
      {
        relyingParty: relyingPartyOf(config.PUBLIC_URL),
        credentials: new PasskeyRepository(deps.db),
        challenges: deps.passkeyChallenges,
        challengeTtlS: config.PASSKEY_CHALLENGE_TTL_S,
      },
      log,
    ),
    stuffing,
    log,
  };
  const ctx = tracing ? tracing.context(untraced) : untraced;
  const stats: ConsumerStats = { handled: 0, expired: 0, duplicates: 0, malformed: 0 };
  metrics?.observe(stats, ctx.audit);
  const handlers = await loadHandlers(ctx);
  const consume = createCommandConsumer(ctx, handlers, tracing ? tracing.results(deps.results) : deps.results, stats, bothObservers(metrics, tracing));
  const inHand = new Set<Promise<void>>();
  const tracked = (...args: Parameters<typeof consume>) => {
    const work = consume(...args);
    inHand.add(work);
    return work.finally(() => inHand.delete(work));
  };
  const prefetch = { password: config.PASSWORD_PREFETCH, session: config.SESSION_PREFETCH, passwordRunning: config.UV_THREADPOOL_SIZE };
  await deps.queue.consume(tracked, prefetch, createPoisonAnswer(ctx, deps.results));
  log.info({ bcryptCost: config.BCRYPT_COST, threads: config.UV_THREADPOOL_SIZE, prefetch: config.PASSWORD_PREFETCH }, 'worker consuming');

  return {
    stats,
    ready: async () => (await users.ping()) && (await deps.sessions.ready()) && (await deps.queue.ready()),
    async stop() {
      await deps.queue.stopConsuming();
      await Promise.allSettled([...inHand]);
      await Promise.all([ctx.audit.flush(), ctx.extensions.close(), stuffing.stop()]);
    },
  };
}
