import {
  createRedis, createSessionRevocations, loadVerificationKeys, LoginLimiter, loginLimitsOf,
  type CommandQueue, type Config, type Logger, type ResultBus,
} from '@authgate/shared';
import type { HttpFallback } from './http/fallback.ts';
import { setDraining } from './http/drain.ts';
import { registerRoutes } from './http/routes.ts';
import { IpRateLimiter } from './rate-limit.ts';
import { Relay } from './relay.ts';
import { CorsPolicy, withCors } from './security/cors.ts';
import { loadNativeUws } from './uws.ts';
import { TokenVerifier } from './verify.ts';
import { Connections } from './ws/connections.ts';
import { registerWebSocket } from './ws/socket.ts';

export type { FallbackReply, FallbackRequest, HttpFallback } from './http/fallback.ts';

export interface EdgeHandle {
  nodeId: string;
  port: number;
  relay: Relay;
  connections: Connections;
  /** Stops accepting, answers what it accepted, then closes its WebSockets with 1001 (going away). */
  stop(): Promise<void>;
}

const MAX_IN_FLIGHT_PER_CONNECTION = 64;
const CLOSE_FLUSH_MS = 100;
const RESYNC_RETRY_MS = 500;
/** A stopping edge exits only after this long without a new HTTP command. */
const QUIET_BEFORE_EXIT_MS = 300;

/** An edge node: validates, rate-limits, verifies tokens in-process, relays the rest through the queue. */
export async function startEdge(
  config: Config,
  deps: { queue: CommandQueue; results: ResultBus; log: Logger; fallback?: HttpFallback | undefined },
): Promise<EdgeHandle> {
  const uWS = loadNativeUws();
  const log = deps.log.child({ role: 'edge' });
  // Logouts and reuse revocations from every worker, followed before the first token is verified.
  const revocations = createSessionRevocations(config, log);
  await revocations.follow();
  const verifier = new TokenVerifier(await loadVerificationKeys(config), {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetimeS: config.ACCESS_TOKEN_TTL_S,
    cacheSize: config.VERIFY_CACHE_SIZE,
    revocations,
  });
  const connections = new Connections();
  const limiterRedis = config.REDIS_URL ? createRedis(config.REDIS_URL, log, `${config.NAMESPACE}-ratelimit`, { enableOfflineQueue: false }) : undefined;
  const limiter = new IpRateLimiter({ redis: limiterRedis, namespace: config.NAMESPACE, pointsPerMinute: config.RATE_LIMIT_IP_PER_MINUTE });
  const loginLimiter = new LoginLimiter({ redis: limiterRedis, namespace: config.NAMESPACE, limits: loginLimitsOf(config) });
  const relay = new Relay(config.NODE_ID, deps.queue, connections, {
    maxPending: config.MAX_PENDING,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    log,
    refundLogin: (email, ip) => loginLimiter.refund(email, ip),
  });
  // After a gap in the subscription (it is subscribed again by then), the results published meanwhile
  // are collected from the store. Retried while Redis is still unsteady: each pending request would
  // otherwise wait for its deadline and answer `timeout` although its result is kept.
  const resync = async (attempt = 1): Promise<void> => {
    try {
      const missed = await deps.results.collect(relay.pending.ids());
      for (const result of missed) relay.onResult(result);
      if (missed.length > 0) log.info({ collected: missed.length }, 'collected results missed while resubscribing');
    } catch (err) {
      if (attempt * RESYNC_RETRY_MS >= config.REQUEST_TIMEOUT_MS) throw err;
      await new Promise((resolve) => setTimeout(resolve, RESYNC_RETRY_MS));
      await resync(attempt + 1);
    }
  };
  await deps.results.subscribe(config.NODE_ID, relay.onResult, () => {
    resync().catch((err: unknown) => log.warn({ err }, 'result resync failed'));
  });
  const trustedProxies = new Set(config.TRUSTED_PROXIES);
  const cors = new CorsPolicy(config.CORS_ORIGINS);

  setDraining(false);
  const app = uWS.App();
  registerWebSocket(app, { relay, connections, verifier, limiter, loginLimiter }, {
    nodeId: config.NODE_ID,
    maxPayloadBytes: config.WS_MAX_PAYLOAD_BYTES,
    idleTimeoutS: config.WS_IDLE_TIMEOUT_S,
    maxBackpressureBytes: config.WS_MAX_BACKPRESSURE_BYTES,
    maxFramesPer10s: config.WS_MAX_MESSAGES_PER_10S,
    maxInFlightPerConnection: MAX_IN_FLIGHT_PER_CONNECTION,
    trustedProxies,
    cors,
    log,
  });
  registerRoutes(withCors(app, cors), {
    relay, verifier, limiter, loginLimiter, results: deps.results, log, fallback: deps.fallback,
    ready: async () => (await deps.queue.ready()) && (await deps.results.ready()) && (await revocations.ready()),
  }, { maxBodyBytes: config.MAX_BODY_BYTES, trustedProxies });

  const listenSocket = await new Promise<unknown>((resolve, reject) => {
    app.listen(config.HOST, config.PORT, (socket) => (socket ? resolve(socket) : reject(new Error(`edge cannot listen on ${config.HOST}:${config.PORT}`))));
  });
  const port = uWS.us_socket_local_port(listenSocket as never);
  log.info({ port }, 'edge listening');

  return {
    nodeId: config.NODE_ID,
    port,
    relay,
    connections,
    async stop() {
      // Connections the kernel completed but uWS has not accepted yet are reset when the listening
      // socket closes; closing on the next turn first accepts those already signalled.
      await new Promise((resolve) => setImmediate(resolve));
      uWS.us_listen_socket_close(listenSocket as never);
      setDraining(true);
      connections.drain();
      const until = Date.now() + config.REQUEST_TIMEOUT_MS;
      // Until nothing is owed and the proxy has stopped sending: each answer now closes its connection,
      // so the proxy runs out of pooled connections to this node, finds it refusing new ones and moves on.
      const busy = () => relay.pending.size > 0 || relay.accepting > 0 || Date.now() - relay.lastAcceptedAt < QUIET_BEFORE_EXIT_MS;
      while (busy() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      relay.pending.drain();
      relay.pending.close();
      // Outside a uWS callback a write waits for the loop's next turn; the process may exit before it,
      // and a client would see its connection reset (1006) instead of 1001. Corked, the close frame
      // leaves at once; the pause lets the close handshake run before the process goes.
      for (const ws of [...connections.all()]) ws.cork(() => ws.end(1001, 'server going away'));
      await new Promise((resolve) => setTimeout(resolve, CLOSE_FLUSH_MS));
      limiterRedis?.disconnect();
      await revocations.close();
    },
  };
}
