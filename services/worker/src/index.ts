import {
  createRedis, createSessionRevocations, loadSigningKey, LoginLimiter, loginLimitsOf, migrateToLatest, openDatabase, UserRepository,
  type Config, type Db, type Logger, type ResultBus, type CommandQueue,
} from '@authgate/shared';
import type { EventBus } from '@authgate/shared/events/index';
import { AuditLog } from './audit.ts';
import { createCommandConsumer, createPoisonAnswer, type ConsumerStats } from './consumer.ts';
import type { WorkerContext } from './context.ts';
import { PasswordHasher } from './passwords.ts';
import { MemorySessionStore } from './sessions/memory-sessions.ts';
import { RedisSessionStore } from './sessions/redis-sessions.ts';
import type { SessionStore } from './sessions/types.ts';
import { AccessTokenSigner } from './tokens.ts';

export interface WorkerHandle {
  stats: ConsumerStats;
  ready(): Promise<boolean>;
  /** Stops taking commands, finishes those in hand, closes its own connections. */
  stop(): Promise<void>;
}

/** The auth worker: consumes commands, does the expensive work, answers on the requester's channel. */
export async function startWorker(config: Config, deps: { queue: CommandQueue; results: ResultBus; log: Logger; db?: Db; events?: EventBus }): Promise<WorkerHandle> {
  const log = deps.log.child({ role: 'worker' });
  // A database handed in (all-in-one: shared with the account API) stays open for its owner to close.
  const db = deps.db ?? openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
  await migrateToLatest(db);
  const users = new UserRepository(db);
  const sessions: SessionStore = config.REDIS_URL
    ? new RedisSessionStore(createRedis(config.REDIS_URL, log, `${config.NAMESPACE}-sessions`), config.NAMESPACE)
    : new MemorySessionStore();
  // Fails fast to the in-memory insurance limiter when Redis is away, as rate-limiter-flexible expects.
  const limiterRedis = config.REDIS_URL ? createRedis(config.REDIS_URL, log, `${config.NAMESPACE}-ratelimit`, { enableOfflineQueue: false }) : undefined;
  const revocations = createSessionRevocations(config, log);
  const ctx: WorkerContext = {
    users,
    sessions,
    hasher: await PasswordHasher.create(config.BCRYPT_COST),
    signer: new AccessTokenSigner(await loadSigningKey(config), {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_S,
    }),
    refreshTtlMs: config.REFRESH_TOKEN_TTL_S * 1000,
    refreshGraceMs: config.REFRESH_GRACE_MS,
    loginLimiter: new LoginLimiter({ redis: limiterRedis, namespace: config.NAMESPACE, limits: loginLimitsOf(config) }),
    revocations,
    // Audit events go to the event bus when one is handed in (else they stay log lines).
    audit: new AuditLog(log.child({ component: 'audit' }), deps.events),
    log,
  };
  const stats: ConsumerStats = { handled: 0, expired: 0, duplicates: 0, malformed: 0 };
  const consume = createCommandConsumer(ctx, deps.results, stats);
  const inHand = new Set<Promise<void>>();
  const tracked = (...args: Parameters<typeof consume>) => {
    const work = consume(...args);
    inHand.add(work);
    return work.finally(() => inHand.delete(work));
  };
  await deps.queue.consume(tracked, { password: config.PASSWORD_PREFETCH, session: config.SESSION_PREFETCH }, createPoisonAnswer(ctx, deps.results));
  log.info({ bcryptCost: config.BCRYPT_COST, threads: config.UV_THREADPOOL_SIZE, prefetch: config.PASSWORD_PREFETCH }, 'worker consuming');

  return {
    stats,
    ready: async () => (await users.ping()) && (await sessions.ready()) && (await deps.queue.ready()),
    async stop() {
      await deps.queue.stopConsuming();
      await Promise.allSettled([...inHand]);
      await ctx.audit.flush();
      await sessions.close();
      await revocations.close();
      limiterRedis?.disconnect();
      if (!deps.db) await db.destroy();
    },
  };
}
