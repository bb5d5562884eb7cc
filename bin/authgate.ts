import { parseArgs } from 'node:util';
import { composeDrivers } from '@authgate/shared/composition';
import { ConfigError, developmentPublicUrl, loadConfig, TARGETS, type Target } from '@authgate/shared/config';
import { createLogger } from '@authgate/shared/logger';
import { startMetricsServer } from '@authgate/shared/metrics/server';
import { startTracing } from '@authgate/shared/tracing/setup';

/**
 * One binary, a --target flag (as Loki does): `all` runs every role in one process, `edge`, `worker`,
 * `api` (the account API) and `mailer` one role each. Which driver serves each concern (in-process, or
 * RabbitMQ / Redis / PostgreSQL) is decided once, by the composition module, and handed to the roles.
 * Each role's module is loaded only when this process runs it; services never import each other.
 */
const { values } = parseArgs({ options: { target: { type: 'string', default: 'all' } } });
const target = values.target as Target;
if (!TARGETS.includes(target)) {
  console.error(`--target must be one of ${TARGETS.join(', ')} (got ${JSON.stringify(values.target)})`);
  process.exit(2);
}

let config;
try {
  config = loadConfig(process.env, target);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const log = createLogger({ level: config.LOG_LEVEL, name: `authgate-${target}`, nodeId: config.NODE_ID, format: config.LOG_FORMAT });
const runs = (role: Target) => target === 'all' || target === role;
const drivers = await composeDrivers(config, target, log);

// Observability: one metrics registry for every role of this process (METRICS_PORT=off: none, and
// nothing is counted), and tracing only when an OTLP endpoint is set (the SDK is not loaded otherwise).
const metrics = config.METRICS_PORT === 'off' ? undefined : (await import('@authgate/shared/metrics/registry')).createMetricsRegistry();
if (metrics && target !== 'api' && target !== 'mailer' && target !== 'audit') {
  const { observeQueue } = await import('@authgate/shared/metrics/registry');
  observeQueue(metrics, (target === 'worker' ? drivers.worker() : drivers.edge()).queue, log);
}
const tracer = await startTracing(config, `authgate-${target}`);
const observability = { metrics, tracing: tracer?.tracing };

const worker = runs('worker') ? await (await import('@authgate/worker')).startWorker(config, { ...drivers.worker(), ...observability, log }) : undefined;
// The audit writer runs beside each worker (it needs the database; the all-in-one's is the embedded
// one), or alone as --target=audit. Several writers are safe: a row is keyed by its event's id and time.
const auditWriter =
  runs('worker') || target === 'audit' ? await (await import('@authgate/audit')).startAuditWriter(config, { ...drivers.audit(), log, metrics }) : undefined;
// All-in-one: one origin (docs/README.md), so the edge hands the account API's routes to it in-process.
// The OpenID issuer is PUBLIC_URL; in development with PORT=0 it is known once the edge listens.
const issuerLater = target === 'all' && config.PUBLIC_URL === developmentPublicUrl(0);
const api = runs('api')
  ? await (await import('@authgate/api')).startApi(config, { ...drivers.api(), log, metrics }, { listen: target === 'api', issuerLater })
  : undefined;
const edge = runs('edge')
  ? await (await import('@authgate/edge')).startEdge(config, {
      ...drivers.edge(),
      ...observability,
      log,
      fallback: target === 'all' ? api?.forward : undefined,
    })
  : undefined;
// Development with PORT=0 and no PUBLIC_URL: the mails' links follow the port the edge was given.
const mailerConfig = edge && config.PUBLIC_URL === developmentPublicUrl(0) ? { ...config, PUBLIC_URL: developmentPublicUrl(edge.port) } : config;
await api?.issuerKnown(mailerConfig.PUBLIC_URL);
const mailer = runs('mailer')
  ? await (await import('@authgate/mailer')).startMailer(mailerConfig, {
      ...drivers.mailer(),
      log,
      metrics,
    })
  : undefined;
const metricsServer = metrics ? await startMetricsServer(metrics, config.METRICS_HOST, config.METRICS_PORT as number, log) : undefined;
log.info({ target, port: edge?.port ?? api?.port, metricsPort: metricsServer?.port, tracing: tracer !== undefined }, 'authgate started');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  await edge?.stop();
  await api?.stop();
  await worker?.stop();
  await auditWriter?.stop();
  await mailer?.stop();
  await drivers.close();
  await metricsServer?.close();
  await tracer?.shutdown();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
