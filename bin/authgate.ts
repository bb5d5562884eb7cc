import { parseArgs } from 'node:util';
import { ConfigError, createLogger, createTransports, loadConfig, openDatabase, TARGETS, type Target } from '@authgate/shared';
import { startApi } from '@authgate/api';
import { startAuditWriter } from '@authgate/audit';
import { createEventBus } from '@authgate/shared/events/index';
import { startEdge } from '@authgate/edge';
import { startWorker } from '@authgate/worker';

/**
 * One binary, a --target flag (as Loki does): `all` runs every role in one process with in-process
 * transports unless AMQP_URL / REDIS_URL / DATABASE_URL name real services; `edge`, `worker` and
 * `api` (the account API) run one role each. This file only composes services; they never import each other.
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

const log = createLogger({ level: config.LOG_LEVEL, name: `authgate-${target}`, nodeId: config.NODE_ID });
const runs = (role: Target) => target === 'all' || target === role;
// The account API needs no queue: it reads users and verifies tokens.
const transports = target === 'api' ? undefined : createTransports(config, log);
// All-in-one: the worker and the account API share one database handle (an embedded PGlite opens once).
const db = target === 'all' ? openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log }) : undefined;
// Audit events: published by workers and POST /events, written to PostgreSQL by the audit writer,
// which runs beside the worker (it needs the database; the all-in-one's is the embedded one).
const events = target === 'edge' ? undefined : createEventBus(config, log);
const worker = runs('worker') ? await startWorker(config, { ...transports!, log, db, events }) : undefined;
const auditDb = runs('worker') ? (db ?? openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log })) : undefined;
const auditWriter = auditDb ? await startAuditWriter(config, { events: events!, db: auditDb, log }) : undefined;
// All-in-one: one origin (API.md), so the edge hands the account API's routes to it in-process.
const api = runs('api') ? await startApi(config, { log, db, events }, { listen: target === 'api' }) : undefined;
const edge = runs('edge') ? await startEdge(config, { ...transports!, log, fallback: target === 'all' ? api?.forward : undefined }) : undefined;
log.info({ target, port: edge?.port ?? api?.port }, 'authgate started');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  await edge?.stop();
  await api?.stop();
  await worker?.stop();
  await auditWriter?.stop();
  await events?.close();
  if (auditDb !== db) await auditDb?.destroy();
  await transports?.queue.close();
  await transports?.results.close();
  await db?.destroy();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
