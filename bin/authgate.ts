import { parseArgs } from 'node:util';
import { ConfigError, createLogger, createTransports, loadConfig, TARGETS, type Target } from '@authgate/shared';
import { startEdge } from '@authgate/edge';
import { startWorker } from '@authgate/worker';

/**
 * One binary, a --target flag (as Loki does): `all` runs every role in one process with in-process
 * transports unless AMQP_URL / REDIS_URL / DATABASE_URL name real services; `edge` and `worker` run
 * one role each. This file only composes services; they never import each other.
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
const transports = createTransports(config, log);
const worker = target === 'edge' ? undefined : await startWorker(config, { ...transports, log });
const edge = target === 'worker' ? undefined : await startEdge(config, { ...transports, log });
log.info({ target, port: edge?.port }, 'authgate started');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  await edge?.stop();
  await worker?.stop();
  await transports.queue.close();
  await transports.results.close();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
