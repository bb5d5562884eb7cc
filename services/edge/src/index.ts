import type { EdgeDrivers } from '@authgate/shared/composition';
import type { Config } from '@authgate/shared/config';
import { loadVerificationKeys } from '@authgate/shared/keys';
import type { Logger } from '@authgate/shared/logger';
import { LoginLimiter, loginLimitsOf } from '@authgate/shared/security/login-limiter';
import { LeasedPerMinuteLimiter } from '@authgate/shared/security/leased-limiter';
import { loadResultSealingSecret, ResultSealing } from '@authgate/shared/security/result-seal';
import { followNodeChannel, type ResyncStats } from '@authgate/shared/transport/resync';
import type { Tracing } from '@authgate/shared/tracing/tracing';
import type { Registry } from 'prom-client';
import { Admission } from './admission.ts';
import type { HttpFallback } from './http/fallback.ts';
import { useStrictTransportSecurity } from './http/respond.ts';
import { registerRoutes } from './http/routes.ts';
import { lifecycle } from './lifecycle.ts';
import { EdgeMetrics } from './observe/metrics.ts';
import { EdgeTracing } from './observe/tracing.ts';
import { LaneThroughput } from './lane-throughput.ts';
import { Relay } from './relay.ts';
import { CorsPolicy, withCors } from './security/cors.ts';
import { loadNativeUws } from './uws.ts';
import { startStuffingGate } from '@authgate/features/stuffing/edge/start';
import { TokenVerifier } from './verify.ts';
import { SessionActivity } from './session-activity.ts';
import { AccountSockets } from './ws/accounts.ts';
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

const CLOSE_FLUSH_MS = 100;
/** A stopping edge exits only after this long without a new HTTP command. */
const QUIET_BEFORE_EXIT_MS = 300;

/** An edge node: validates, rate-limits, verifies tokens in-process, relays the rest through the queue. */
export interface EdgeObservability {
  /** The process's metrics registry (METRICS_PORT not off); the edge registers its families on it. */
  metrics?: Registry | undefined;
  /** Tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set). */
  tracing?: Tracing | undefined;
}

export async function startEdge(
  config: Config,
  deps: EdgeDrivers & EdgeObservability & { log: Logger; fallback?: HttpFallback | undefined },
): Promise<EdgeHandle> {
  const uWS = loadNativeUws();
  const log = deps.log.child({ role: 'edge' });
  const metrics = deps.metrics ? new EdgeMetrics(deps.metrics) : undefined;
  const tracing = deps.tracing ? new EdgeTracing(deps.tracing) : undefined;
  // Logouts and reuse revocations from every worker, followed before the first token is verified.
  await deps.revocations.follow();
  const verifier = new TokenVerifier(await loadVerificationKeys(config), {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetimeS: config.ACCESS_TOKEN_TTL_S,
    cacheSize: config.VERIFY_CACHE_SIZE,
    revocations: deps.revocations,
  });
  const passwordLane = new LaneThroughput();
  const ipLimiter = new LeasedPerMinuteLimiter(deps.limits, `${config.NAMESPACE}:rl:ip`, config.RATE_LIMIT_IP_PER_MINUTE);
  const loginLimiter = new LoginLimiter({ store: deps.limits, namespace: config.NAMESPACE, limits: loginLimitsOf(config) });
  const stuffing = await startStuffingGate(config, { store: deps.stuffing, loginLimiter, metrics: deps.metrics, log });
  const admission = new Admission(
    ipLimiter,
    loginLimiter,
    deps.passwordWork,
    config.REQUEST_TIMEOUT_MS,
    { throughput: passwordLane, admitShare: config.OVERLOAD_ADMIT_SHARE },
    stuffing,
  );
  const connections = new Connections();
  const accounts = new AccountSockets(config.NODE_ID, connections, deps.live, log);
  await accounts.follow();
  const activity = new SessionActivity(deps.directory, log);
  const relay = new Relay(config.NODE_ID, tracing ? tracing.queue(deps.queue) : deps.queue, connections.pushResult, {
    maxPending: config.MAX_PENDING,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    log,
    sealing: new ResultSealing(loadResultSealingSecret(config)),
    notRun: (admitted) => admission.notRun(admitted),
    answered: (requestId, ip) => admission.answered(requestId, ip),
    passwordLane,
  });
  const resync: ResyncStats = { resyncs: 0, collected: 0 };
  await followNodeChannel(deps.results, config.NODE_ID, {
    onResult: tracing ? tracing.relayed(relay.onResult) : relay.onResult,
    waiting: () => relay.pending.ids(),
    retryForMs: config.REQUEST_TIMEOUT_MS,
    log,
    stats: resync,
  });
  metrics?.observe({ relay, connections, verifier, admission, resync });
  const trustedProxies = new Set(config.TRUSTED_PROXIES);
  const cors = new CorsPolicy(config.CORS_ORIGINS);

  lifecycle.draining = false;
  useStrictTransportSecurity(config.STRICT_TRANSPORT_SECURITY === 'off' ? undefined : config.STRICT_TRANSPORT_SECURITY);
  const app = uWS.App();
  registerWebSocket(
    app,
    { relay, connections, accounts, activity, verifier, admission, metrics, tracing },
    {
      nodeId: config.NODE_ID,
      maxPayloadBytes: config.WS_MAX_PAYLOAD_BYTES,
      idleTimeoutS: config.WS_IDLE_TIMEOUT_S,
      maxBackpressureBytes: config.WS_MAX_BACKPRESSURE_BYTES,
      maxFramesPer10s: config.WS_MAX_MESSAGES_PER_10S,
      maxInFlightPerConnection: config.WS_MAX_IN_FLIGHT,
      maxClientIdLength: config.CLIENT_ID_MAX_LENGTH,
      trustedProxies,
      cors,
      log,
    },
  );
  registerRoutes(
    withCors(app, cors),
    {
      relay,
      admission,
      verifier,
      activity,
      results: deps.results,
      log,
      fallback: deps.fallback,
      metrics,
      tracing,
      ready: async () => (await deps.queue.ready()) && (await deps.results.ready()) && (await deps.revocations.ready()) && (await deps.live.ready()),
    },
    { maxBodyBytes: config.MAX_BODY_BYTES, trustedProxies },
  );

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
      lifecycle.draining = true;
      connections.drain();
      const until = Date.now() + config.REQUEST_TIMEOUT_MS;
      // Until nothing is owed and the proxy has stopped sending: each answer now closes its connection,
      // so the proxy runs out of pooled connections to this node, finds it refusing new ones and moves on.
      const busy = () => relay.pending.size > 0 || lifecycle.takingIn(QUIET_BEFORE_EXIT_MS);
      while (busy() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      relay.pending.drain();
      relay.pending.close();
      // Outside a uWS callback a write waits for the loop's next turn; the process may exit before it,
      // and a client would see its connection reset (1006) instead of 1001. Corked, the close frame
      // leaves at once; the pause lets the close handshake run before the process goes.
      for (const ws of [...connections.all()]) ws.cork(() => ws.end(1001, 'server going away'));
      await new Promise((resolve) => setTimeout(resolve, CLOSE_FLUSH_MS));
      accounts.close();
      ipLimiter.close();
      await activity.close();
      await stuffing.stop();
    },
  };
}
