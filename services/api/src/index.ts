import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import {
  createRedis, createSessionRevocations, loadVerificationKeys, migrateToLatest, openDatabase, UserRepository, type Config, type Db, type Logger,
} from '@authgate/shared';
import type { EventBus } from '@authgate/shared/events/index';
import { Accounts } from './accounts.ts';
import { AuditReads } from './events/reads.ts';
import { buildApp } from './app.ts';
import { AccessTokenAuth } from './auth.ts';
import { forwarder, type ForwardedReply, type ForwardedRequest } from './forward.ts';
import { apiLogger } from './logging.ts';
import { RouteRateLimiter } from './rate-limit.ts';

export type { ForwardedReply, ForwardedRequest };

const VERSION = '0.1.0';

export interface ApiHandle {
  app: FastifyInstance;
  /** The port it listens on, or undefined when it only answers forwarded requests. */
  port: number | undefined;
  /** Answers a request another server received (the edge's fallback in the all-in-one mode). */
  forward(request: ForwardedRequest): Promise<ForwardedReply>;
  stop(): Promise<void>;
}

/**
 * The account API: reads users (PostgreSQL), verifies access tokens with the public keys only.
 * `listen: false` builds it without a port, for the all-in-one mode where the edge forwards to it;
 * `db` is then the process's one database handle, shared with the worker.
 */
export async function startApi(config: Config, deps: { log: Logger; db?: Db; events?: EventBus }, options: { listen: boolean }): Promise<ApiHandle> {
  const log = apiLogger(deps.log);
  const db = deps.db ?? openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
  // The worker migrates too; Kysely's migration lock makes whichever starts first do it.
  if (!deps.db) await migrateToLatest(db);
  const users = new Accounts(new UserRepository(db), log);
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, log, `${config.NAMESPACE}-api`, { enableOfflineQueue: false }) : undefined;
  // Logouts and reuse revocations from every worker, followed before the first token is checked.
  const revocations = createSessionRevocations(config, log);
  await revocations.follow();
  const auth = new AccessTokenAuth(
    await loadVerificationKeys(config),
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    new Set(config.ADMIN_USER_IDS),
    revocations,
  );
  const checkEmailLimiter = new RouteRateLimiter({
    redis,
    keyPrefix: `${config.NAMESPACE}:rl:check-email`,
    pointsPerMinute: config.CHECK_EMAIL_PER_MINUTE,
  });
  const appEventLimiter = new RouteRateLimiter({
    redis,
    keyPrefix: `${config.NAMESPACE}:rl:app-events`,
    pointsPerMinute: config.APP_EVENTS_PER_MINUTE,
    // Per user: the limiter runs after the token check, so the subject is known and genuine.
    keyOf: (request) => request.accessToken!.sub,
  });
  const audit = { reads: new AuditReads(db, log), events: deps.events, appEventLimiter, sessionLifetimeMs: config.REFRESH_TOKEN_TTL_S * 1000 };
  const ready = async () =>
    (await users.ping()) && (await revocations.ready()) && (redis === undefined || (await redis.ping().then(() => true, () => false)));

  const app = await buildApp({ users, auth, checkEmailLimiter, ready, log, audit }, {
    version: VERSION,
    corsOrigins: config.CORS_ORIGINS,
    trustedProxies: config.TRUSTED_PROXIES,
  });
  await app.ready();
  let port: number | undefined;
  if (options.listen) {
    await app.listen({ host: config.HOST, port: config.API_PORT });
    port = (app.server.address() as AddressInfo).port;
    log.info({ port }, 'api listening');
  }

  return {
    app,
    port,
    forward: forwarder(app),
    async stop() {
      await app.close();
      redis?.disconnect();
      await revocations.close();
      if (!deps.db) await db.destroy();
    },
  };
}
