import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ApiDrivers } from '@authgate/shared/composition';
import type { Config } from '@authgate/shared/config';
import { TotpRepository } from '@authgate/features/second-factor/stores/db-totp';
import { UserRepository } from '@authgate/shared/db/users';
import { loadVerificationKeys } from '@authgate/shared/keys';
import { createOidcLayer } from '@authgate/features/oidc/api/index';
import type { Logger } from '@authgate/shared/logger';
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
  /** The public address, once the edge knows its port (all-in-one, PORT=0): the OpenID issuer; checks OIDC_CLIENTS. */
  issuerKnown(publicUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The account API: reads users (PostgreSQL), verifies access tokens with the public keys only.
 * `listen: false` builds it without a port, for the all-in-one shape where the edge forwards to it.
 */
export async function startApi(
  config: Config,
  deps: ApiDrivers & { log: Logger; metrics?: Registry | undefined },
  options: { listen: boolean; issuerLater?: boolean },
): Promise<ApiHandle> {
  const log = apiLogger(deps.log);
  const users = new Accounts(new UserRepository(deps.db), log, new TotpRepository(deps.db));
  const verificationKeys = await loadVerificationKeys(config);
  // The OpenID layer listens to revocations before they are followed: those loaded at start count too.
  // The issuer is PUBLIC_URL; the all-in-one with PORT=0 learns it from the edge (issuerKnown).
  const issuer = options.issuerLater ? deferred<string>() : config.PUBLIC_URL;
  const oidc = await createOidcLayer(config, {
    drivers: deps,
    verificationKeys,
    issuer: typeof issuer === 'string' ? issuer : issuer.promise,
    log: deps.log,
  });
  // Logouts and reuse revocations from every worker, followed before the first token is checked.
  await deps.revocations.follow();
  const auth = new AccessTokenAuth(
    verificationKeys,
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxLifetimeS: config.ACCESS_TOKEN_TTL_S },
    new Set(config.ADMIN_USER_IDS),
    deps.revocations,
    new Set(config.ADMIN_EMAILS),
    (id) => users.findById(id),
  );
  const checkEmailLimiter = new RouteRateLimiter(deps.limits, `${config.NAMESPACE}:rl:check-email`, config.CHECK_EMAIL_PER_MINUTE);
  // Per user: the limiter runs after the token check, so the subject is known and genuine.
  const appEventLimiter = new RouteRateLimiter(
    deps.limits,
    `${config.NAMESPACE}:rl:app-events`,
    config.APP_EVENTS_PER_MINUTE,
    (request) => request.accessToken!.sub,
  );
  const audit = { reads: new AuditReads(deps.db, log), events: deps.events, appEventLimiter, sessionLifetimeMs: config.REFRESH_TOKEN_TTL_S * 1000 };
  const ready = async () => (await users.ping()) && (await deps.revocations.ready()) && (await deps.limits.ready());

  const sessionEnding = { sessions: deps.sessions, revocations: deps.revocations, directory: deps.directory, live: deps.live };
  const app = await buildApp(
    {
      users,
      auth,
      checkEmailLimiter,
      sessionEnding,
      pendingSignIns: { mfaChallenges: deps.mfaChallenges, deviceVerifications: deps.deviceVerifications },
      mail: deps.mail,
      ready,
      log,
      audit,
      metrics: deps.metrics,
      oidc: oidc.layer,
    },
    {
      version: VERSION,
      corsOrigins: config.CORS_ORIGINS,
      trustedProxies: config.TRUSTED_PROXIES,
      docs: config.API_DOCS,
    },
  );
  await app.ready();
  // OIDC_CLIENTS are checked before the API answers (a bad entry stops the start), once the issuer is known.
  if (typeof issuer === 'string') await oidc.layer.start();
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
    async issuerKnown(url: string) {
      if (typeof issuer === 'string') return;
      issuer.resolve(url);
      await oidc.layer.start();
    },
    async stop() {
      await app.close();
      oidc.unfollow();
      await oidc.layer.stop();
    },
  };
}

/** A value another role supplies later (Promise.withResolvers arrives with Node 22). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
