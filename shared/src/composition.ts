import type { Config, Target } from './config.ts';
import type { Db } from './db/database.ts';
import type { Logger } from './logger.ts';
import type { RedisClient, RedisConnector } from './redis.ts';
import { LimiterStore } from './security/limiter-store.ts';
import type { PasswordWorkBudget } from './security/password-work.ts';
import { revocationTtlMs, type SessionRevocations } from './security/revocations.ts';
import type { DeviceVerifications } from '@authgate/features/devices/stores/verifications';
import type { EventBus } from './events/types.ts';
import type { LiveEvents } from './live/types.ts';
import type { MailQueue } from './mail/types.ts';
import type { MfaChallengeStore } from '@authgate/features/second-factor/stores/challenges';
import type { SessionDirectory } from '@authgate/features/sessions/stores/directory';
import type { SessionStore } from '@authgate/features/sessions/stores/sessions';
import type { CommandQueue, ResultBus } from './transport/types.ts';
import type { OidcStores } from '@authgate/features/oidc/api/layer';
import type { PasskeyChallengeStore } from '@authgate/features/passkeys/stores/challenges';
import type { StuffingStore } from '@authgate/features/stuffing/stores/types';

/**
 * The one place that decides which driver serves each concern: the in-process ("memory") one, or the
 * distributed one (RabbitMQ, Redis, PostgreSQL) when the configuration names that service. Built once
 * per process and handed to each role, so that in the all-in-one shape the roles share one instance of
 * each (one queue, one revocation set, one limiter store, one database) and nothing hides in a
 * module-level registry. A driver's module is loaded only when a role of this process needs it: an
 * edge never loads the database layer.
 */

interface CommonDrivers {
  queue: CommandQueue;
  results: ResultBus;
  revocations: SessionRevocations;
  limits: LimiterStore;
  live: LiveEvents;
  directory: SessionDirectory;
}

export interface EdgeDrivers extends CommonDrivers {
  /** Concurrent password work per client source, shared by every edge (PASSWORD_WORK_PER_SOURCE). */
  passwordWork: PasswordWorkBudget;
  /** The deployment-wide window of failed password logins and the stuffing defence's state (edges read it). */
  stuffing: StuffingStore;
}

export interface WorkerDrivers extends CommonDrivers {
  sessions: SessionStore;
  db: Db;
  /** Audit events: published by the worker, written to the database by the audit writer beside it. */
  events: EventBus;
  /** Mail jobs (verification links, reset links, device codes, security notices) for the mailer. */
  mail: MailQueue;
  /** Sign-ins waiting for a new device's approval, shared by every worker. */
  deviceVerifications: DeviceVerifications;
  /** Pending second-factor challenges (mfaToken digests): made by the worker that checked the password, answered by any. */
  mfaChallenges: MfaChallengeStore;
  /** Pending passkey ceremonies: made by the options command, taken once by its answer on any worker. */
  passkeyChallenges: PasskeyChallengeStore;
  /** The deployment-wide window of failed password logins (workers feed it and decide the defence's state). */
  stuffing: StuffingStore;
}

export interface ApiDrivers {
  db: Db;
  /** Application events (POST /events) join the audit trail through the same bus. */
  events: EventBus;
  revocations: SessionRevocations;
  limits: LimiterStore;
  live: LiveEvents;
  directory: SessionDirectory;
  sessions: SessionStore;
  /** Security notices of an administrator's actions (second factor turned off). */
  mail: MailQueue;
  /** Sign-ins waiting for a second factor or a device's approval: an administrator's action ends an account's. */
  mfaChallenges: MfaChallengeStore;
  deviceVerifications: DeviceVerifications;
  /** The OpenID provider's storage (Redis or in-process) and its administrators' clients (the database). */
  oidc: OidcStores;
}

export interface MailerDrivers {
  mail: MailQueue;
  /** Mails set aside for good become `mail.set_aside` audit events. */
  events: EventBus;
}

/** The audit writer: events from the bus into the database (beside each worker, or alone as --target=audit). */
export interface AuditDrivers {
  events: EventBus;
  db: Db;
}

export interface Drivers {
  edge(): EdgeDrivers;
  worker(): WorkerDrivers;
  api(): ApiDrivers;
  mailer(): MailerDrivers;
  audit(): AuditDrivers;
  /** Closes every driver it built, after the roles have stopped. */
  close(): Promise<void>;
}

type AllDrivers = EdgeDrivers & WorkerDrivers & MailerDrivers & Pick<ApiDrivers, 'oidc'>;
type Concern = keyof AllDrivers;

const NEEDS: Record<Target, readonly Concern[]> = {
  edge: ['queue', 'results', 'revocations', 'limits', 'live', 'directory', 'passwordWork', 'stuffing'],
  worker: [
    'queue',
    'results',
    'revocations',
    'limits',
    'live',
    'directory',
    'sessions',
    'db',
    'events',
    'mail',
    'deviceVerifications',
    'mfaChallenges',
    'passkeyChallenges',
    'stuffing',
  ],
  api: ['db', 'revocations', 'limits', 'live', 'directory', 'sessions', 'events', 'mail', 'mfaChallenges', 'deviceVerifications', 'oidc'],
  mailer: ['mail', 'events'],
  audit: ['events', 'db'],
  all: [
    'queue',
    'results',
    'revocations',
    'limits',
    'live',
    'directory',
    'passwordWork',
    'sessions',
    'db',
    'mail',
    'events',
    'deviceVerifications',
    'mfaChallenges',
    'oidc',
    'passkeyChallenges',
    'stuffing',
  ],
};

export async function composeDrivers(config: Config, target: Target, log: Logger): Promise<Drivers> {
  const needs = new Set(NEEDS[target]);
  const closers: Array<() => Promise<void> | void> = [];
  const built: Partial<AllDrivers> = {};

  // One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES): every Redis driver below gets its
  // clients and subscriptions from this connector and never reads either setting.
  let redis: RedisConnector | undefined;
  if (config.REDIS_CLUSTER_NODES.length > 0) {
    const { RedisCluster, parseClusterNodes } = await import('./redis.ts');
    redis = new RedisCluster(
      parseClusterNodes(config.REDIS_CLUSTER_NODES),
      log.child({ component: 'redis-cluster' }),
      'sharded',
      config.REDIS_CLUSTER_PASSWORD,
    );
  } else if (config.REDIS_URL) {
    const { SingleRedis } = await import('./redis.ts');
    redis = new SingleRedis(config.REDIS_URL, log);
  }
  // Every node of a RabbitMQ cluster: the connection manager moves to the next when one goes away.
  const amqpUrls = config.AMQP_URL?.split(',').map((url) => url.trim());

  // The limiters' client fails at once while Redis is away (offline queue off), so the in-memory
  // insurance limiter answers instead of requests waiting on a reconnect.
  const limiterRedis = (): RedisClient | undefined => redis?.client(`${config.NAMESPACE}-ratelimit`, { enableOfflineQueue: false });

  if (needs.has('queue')) {
    if (amqpUrls) {
      const { AmqpCommandQueue } = await import('./transport/amqp-queue.ts');
      built.queue = new AmqpCommandQueue({
        url: amqpUrls,
        namespace: config.NAMESPACE,
        maxLength: config.QUEUE_MAX_LENGTH,
        publishTimeoutMs: Math.min(config.REQUEST_TIMEOUT_MS, 3_000),
        queueType: config.QUEUE_TYPE,
        deliveryLimit: config.QUEUE_DELIVERY_LIMIT,
        log: log.child({ component: 'amqp' }),
      });
    } else {
      const { MemoryCommandQueue } = await import('./transport/memory-queue.ts');
      built.queue = new MemoryCommandQueue(config.QUEUE_MAX_LENGTH);
    }
    const queue = built.queue;
    closers.push(() => queue.close());
  }

  if (needs.has('results')) {
    if (redis) {
      const { RedisResultBus } = await import('./transport/redis-results.ts');
      built.results = new RedisResultBus(redis, config.NAMESPACE, log.child({ component: 'results' }));
    } else {
      const { MemoryResultBus } = await import('./transport/memory-results.ts');
      built.results = new MemoryResultBus();
    }
    const results = built.results;
    closers.push(() => results.close());
  }

  if (needs.has('revocations')) {
    const ttlMs = revocationTtlMs(config);
    const { MemoryRevocations, RedisRevocations } = await import('./security/revocations.ts');
    const revocations = redis ? new RedisRevocations(redis, config.NAMESPACE, ttlMs, log) : new MemoryRevocations(ttlMs);
    built.revocations = revocations;
    closers.push(() => revocations.close());
  }

  if (needs.has('limits')) {
    const limits = new LimiterStore(limiterRedis());
    built.limits = limits;
    closers.push(() => limits.close());
  }

  if (needs.has('passwordWork')) {
    const client = limiterRedis();
    if (client) {
      const { RedisPasswordWork } = await import('./security/redis-password-work.ts');
      built.passwordWork = new RedisPasswordWork(client, config.NAMESPACE, config.PASSWORD_WORK_PER_SOURCE);
      closers.push(() => client.disconnect());
    } else {
      const { MemoryPasswordWork } = await import('./security/password-work.ts');
      built.passwordWork = new MemoryPasswordWork(config.PASSWORD_WORK_PER_SOURCE);
    }
    const passwordWork = built.passwordWork;
    closers.push(() => passwordWork.close());
  }

  if (needs.has('sessions')) {
    if (redis) {
      const { RedisSessionStore } = await import('@authgate/features/sessions/stores/redis-sessions');
      built.sessions = new RedisSessionStore(redis.client(`${config.NAMESPACE}-sessions`), config.NAMESPACE);
    } else {
      const { MemorySessionStore } = await import('@authgate/features/sessions/stores/memory-sessions');
      built.sessions = new MemorySessionStore();
    }
    const sessions = built.sessions;
    closers.push(() => sessions.close());
  }

  if (needs.has('mfaChallenges')) {
    if (redis) {
      const { RedisMfaChallengeStore } = await import('@authgate/features/second-factor/stores/redis-challenges');
      built.mfaChallenges = new RedisMfaChallengeStore(redis.client(`${config.NAMESPACE}-mfa`), config.NAMESPACE);
    } else {
      const { MemoryMfaChallengeStore } = await import('@authgate/features/second-factor/stores/challenges');
      built.mfaChallenges = new MemoryMfaChallengeStore();
    }
    const mfaChallenges = built.mfaChallenges;
    closers.push(() => mfaChallenges.close());
  }

  if (needs.has('passkeyChallenges')) {
    if (redis) {
      const { RedisPasskeyChallenges } = await import('@authgate/features/passkeys/stores/redis-challenges');
      built.passkeyChallenges = new RedisPasskeyChallenges(redis.client(`${config.NAMESPACE}-passkeys`), config.NAMESPACE);
    } else {
      const { MemoryPasskeyChallenges } = await import('@authgate/features/passkeys/stores/memory-challenges');
      built.passkeyChallenges = new MemoryPasskeyChallenges();
    }
    const passkeyChallenges = built.passkeyChallenges;
    closers.push(() => passkeyChallenges.close());
  }

  if (needs.has('stuffing')) {
    // One store for the edge and the worker of the all-in-one: what its worker sees, its edge reads.
    if (redis) {
      const { RedisStuffingStore } = await import('@authgate/features/stuffing/stores/redis');
      built.stuffing = new RedisStuffingStore(redis.client(`${config.NAMESPACE}-stuffing`), config.NAMESPACE);
    } else {
      const { MemoryStuffingStore } = await import('@authgate/features/stuffing/stores/memory');
      built.stuffing = new MemoryStuffingStore();
    }
    const stuffing = built.stuffing;
    closers.push(() => stuffing.close());
  }

  if (needs.has('live')) {
    if (redis) {
      const { RedisLiveEvents } = await import('./live/redis-live.ts');
      built.live = new RedisLiveEvents(redis, config.NAMESPACE, log.child({ component: 'live' }));
    } else {
      const { MemoryLiveEvents } = await import('./live/memory-live.ts');
      built.live = new MemoryLiveEvents();
    }
    const live = built.live;
    closers.push(() => live.close());
  }

  if (needs.has('directory')) {
    if (redis) {
      const { RedisSessionDirectory } = await import('@authgate/features/sessions/stores/redis-directory');
      built.directory = new RedisSessionDirectory(redis.client(`${config.NAMESPACE}-directory`), config.NAMESPACE);
    } else {
      const { MemorySessionDirectory } = await import('@authgate/features/sessions/stores/memory-directory');
      built.directory = new MemorySessionDirectory();
    }
    const directory = built.directory;
    closers.push(() => directory.close());
  }

  if (needs.has('deviceVerifications')) {
    if (redis) {
      const { RedisDeviceVerifications } = await import('@authgate/features/devices/stores/redis-verifications');
      built.deviceVerifications = new RedisDeviceVerifications(redis.client(`${config.NAMESPACE}-devices`), config.NAMESPACE);
    } else {
      const { MemoryDeviceVerifications } = await import('@authgate/features/devices/stores/memory-verifications');
      built.deviceVerifications = new MemoryDeviceVerifications();
    }
    const deviceVerifications = built.deviceVerifications;
    closers.push(() => deviceVerifications.close());
  }

  if (needs.has('events')) {
    if (amqpUrls) {
      const { AmqpEventBus } = await import('./events/amqp-bus.ts');
      built.events = new AmqpEventBus({
        url: amqpUrls,
        queueType: config.QUEUE_TYPE,
        namespace: config.NAMESPACE,
        maxLength: config.EVENTS_QUEUE_MAX_LENGTH,
        publishTimeoutMs: 5_000,
        log: log.child({ component: 'events' }),
      });
    } else {
      const { MemoryEventBus } = await import('./events/memory-bus.ts');
      built.events = new MemoryEventBus({ maxLength: config.EVENTS_QUEUE_MAX_LENGTH, log: log.child({ component: 'events' }) });
    }
    const events = built.events;
    closers.push(() => events.close());
  }

  if (needs.has('mail')) {
    if (amqpUrls) {
      const { AmqpMailQueue } = await import('./mail/amqp-queue.ts');
      built.mail = new AmqpMailQueue({
        url: amqpUrls,
        namespace: config.NAMESPACE,
        maxLength: config.QUEUE_MAX_LENGTH,
        publishTimeoutMs: 3_000,
        queueType: config.QUEUE_TYPE,
        log: log.child({ component: 'mail-queue' }),
      });
    } else {
      const { MemoryMailQueue } = await import('./mail/memory-queue.ts');
      built.mail = new MemoryMailQueue(config.QUEUE_MAX_LENGTH);
    }
    const mail = built.mail;
    closers.push(() => mail.close());
  }

  if (needs.has('db')) {
    const { openPglite, openPostgres } = await import('./db/database.ts');
    const { migrateToLatest } = await import('./db/migrations.ts');
    const db = config.DATABASE_URL ? openPostgres({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, log }) : openPglite(config.DATA_DIR);
    closers.push(() => db.destroy());
    // Every role that reads the database migrates it; Kysely's migration lock lets one do the work.
    await migrateToLatest(db);
    built.db = db;
  }

  if (needs.has('oidc')) {
    const { DbClientStore } = await import('@authgate/features/oidc/stores/db-clients');
    const clients = new DbClientStore(built.db!);
    const prefix = `${config.NAMESPACE}:oidc`;
    if (redis) {
      const client = redis.client(`${config.NAMESPACE}-oidc`);
      const { redisAdapterFactory } = await import('@authgate/features/oidc/stores/redis-adapter');
      const { RedisSessionLinks } = await import('@authgate/features/oidc/stores/redis-links');
      built.oidc = { adapter: redisAdapterFactory(client, prefix), links: new RedisSessionLinks(client, prefix, config.NODE_ID), clients };
      closers.push(() =>
        client.quit().then(
          () => undefined,
          () => client.disconnect(),
        ),
      );
    } else {
      const { memoryAdapterFactory } = await import('@authgate/features/oidc/stores/memory-adapter');
      const { MemorySessionLinks } = await import('@authgate/features/oidc/stores/memory-links');
      const { TtlMap } = await import('@authgate/features/oidc/stores/ttl-map');
      const entities = new TtlMap();
      const links = new MemorySessionLinks();
      built.oidc = { adapter: memoryAdapterFactory(entities), links, clients };
      closers.push(
        () => entities.close(),
        () => links.close(),
      );
    }
  }

  const missing = (role: string, concern: Concern): never => {
    throw new Error(`the ${role} role needs the ${concern} driver, which was not composed for --target=${target}`);
  };
  const pick = <K extends Concern>(role: string, keys: readonly K[]): Pick<AllDrivers, K> => {
    const out = {} as Pick<AllDrivers, K>;
    for (const key of keys) out[key] = (built[key] ?? missing(role, key)) as AllDrivers[K];
    return out;
  };

  return {
    edge: () => pick('edge', NEEDS.edge as Array<keyof EdgeDrivers>),
    worker: () => pick('worker', NEEDS.worker as Array<keyof WorkerDrivers>),
    api: () => pick('api', NEEDS.api as Array<keyof ApiDrivers>),
    mailer: () => pick('mailer', NEEDS.mailer as Array<keyof MailerDrivers>),
    audit: () => pick('audit', NEEDS.audit as Array<keyof AuditDrivers>),
    async close() {
      // In the reverse order of building: the database last, after the stores that may still write.
      for (const close of closers.reverse()) await Promise.resolve(close()).catch((err: unknown) => log.warn({ err }, 'driver close failed'));
    },
  };
}
