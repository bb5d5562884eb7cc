// npm run cluster: the whole topology on this machine against the local Redis, RabbitMQ and PostgreSQL.
//   nginx on :8080 (PORT), EDGES edge nodes (default 2) on 127.0.0.1:9001, 9002, ..., WORKERS workers
//   (default 2), APIS account API processes (default 1) on :3001 (API_PORT), 3002, ..., a mailer (SMTP_URL, or .eml files under
//   DATA_DIR/outbox). Metrics (GET /metrics) of edge-i on 9100+i, worker-i on 9200+i, the api on 9300,
//   the mailer on 9400 (METRICS_BASE_PORT=9100; 0: free ports; off: none). Writes .cluster/topology.json;
//   logs go to .cluster/logs/<name>.log. Ctrl-C or SIGTERM stops everything: edges and api first (they
//   drain), then workers, then the mailer, then nginx.
// Every other variable (BCRYPT_COST, LOG_LEVEL, NAMESPACE, ...) is passed on to the authgate processes.
//   --redis-cluster N: a private Redis Cluster of N masters and N replicas (redis-server processes on
//   free loopback ports, in a temporary folder) instead of REDIS_URL; stopped with the rest.
//   --rabbitmq-cluster 3: three private rabbitmq-server nodes in one RabbitMQ cluster (own node names,
//   ports and cookie) instead of AMQP_URL, every process given all three, QUEUE_TYPE=quorum.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PrivateRabbitMQCluster } from '../test/chaos/services/private-rabbitmq.ts';
import { startCluster, type Cluster } from './cluster/index.ts';
import { freePort } from './cluster/ports.ts';
import { wholeNumber } from './env-number.ts';
import { PrivateRedisCluster } from './lib/redis-cluster.ts';

const { values: args } = parseArgs({ options: { 'redis-cluster': { type: 'string' }, 'rabbitmq-cluster': { type: 'string' } }, strict: true });
const redisMasters = args['redis-cluster'] === undefined ? 0 : Number(args['redis-cluster']);
if (args['redis-cluster'] !== undefined && !(Number.isInteger(redisMasters) && redisMasters >= 3 && redisMasters <= 16)) {
  console.error('--redis-cluster: the number of masters, 3 to 16 (each gets one replica)');
  process.exit(2);
}

const rabbitNodes = args['rabbitmq-cluster'] === undefined ? 0 : Number(args['rabbitmq-cluster']);
if (args['rabbitmq-cluster'] !== undefined && !(Number.isInteger(rabbitNodes) && rabbitNodes >= 3 && rabbitNodes <= 7)) {
  console.error('--rabbitmq-cluster: the number of RabbitMQ nodes, 3 to 7 (quorum queues need a majority of them)');
  process.exit(2);
}

const count = (name: string, fallback: number, min: number) => wholeNumber(name, fallback, min, 64);
// 0: any free port.
const port = (name: string, fallback: number) => wholeNumber(name, fallback, 0, 65535);
const dir = path.resolve(process.env.CLUSTER_DIR ?? '.cluster');

let stopping = false;
let redisCluster: PrivateRedisCluster | undefined;
let rabbitCluster: { nodes: PrivateRabbitMQCluster; dir: string } | undefined;
const stopBrokers = async () => {
  await redisCluster?.stop();
  if (rabbitCluster) {
    await rabbitCluster.nodes.destroy();
    rmSync(rabbitCluster.dir, { recursive: true, force: true });
  }
};
const starting: Promise<Cluster | undefined> = (async () => {
  if (redisMasters > 0) {
    redisCluster = await PrivateRedisCluster.start({ masters: redisMasters, replicas: 1 });
    console.log(`redis cluster: ${redisMasters} masters + ${redisMasters} replicas on ${redisCluster.nodesSetting}`);
  }
  if (rabbitNodes > 0) {
    const rabbitDir = mkdtempSync(path.join(os.tmpdir(), 'authgate-rabbitmq-cluster-'));
    rabbitCluster = { nodes: await PrivateRabbitMQCluster.start(rabbitDir, () => freePort(), rabbitNodes), dir: rabbitDir };
    console.log(`rabbitmq cluster: ${rabbitNodes} nodes on ${rabbitCluster.nodes.nodes.map((n) => n.port).join(', ')} (quorum queues)`);
  }
  return startCluster({
    edges: count('EDGES', 2, 1),
    workers: count('WORKERS', 2, 0),
    apis: count('APIS', 1, 1),
    port: port('PORT', 8080),
    edgeBasePort: port('EDGE_BASE_PORT', 9001),
    apiPort: port('API_PORT', 3001),
    metricsBasePort: process.env.METRICS_BASE_PORT === 'off' || process.env.METRICS_PORT === 'off' ? 'off' : port('METRICS_BASE_PORT', 9100),
    namespace: process.env.NAMESPACE || undefined,
    redisUrl: process.env.REDIS_URL || undefined,
    redisClusterNodes: redisCluster?.nodesSetting,
    amqpUrl: rabbitCluster?.nodes.url ?? (process.env.AMQP_URL || undefined),
    env: rabbitCluster ? { QUEUE_TYPE: 'quorum', QUEUE_DELIVERY_LIMIT: process.env.QUEUE_DELIVERY_LIMIT ?? '3' } : undefined,
    databaseUrl: process.env.DATABASE_URL || undefined,
    nginxBin: process.env.NGINX_BIN || undefined,
    dir,
  });
})().catch(async (err: unknown) => {
  console.error(`cluster did not start: ${(err as Error).message}`);
  await stopBrokers();
  process.exit(1);
});

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the cluster (edges drain first)...`);
  // A signal during start-up waits for it: stopping half a cluster would leave the rest running.
  await (await starting)?.stop();
  await stopBrokers();
  console.log('cluster stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

const cluster = await starting;
if (cluster && !stopping) {
  const topology = cluster.topology();
  console.log(`authgate cluster ready: ${topology.url} (WebSocket ${topology.wsUrl})`);
  for (const p of topology.processes)
    console.log(`  ${p.name.padEnd(10)} pid ${String(p.pid).padEnd(8)} ${(p.url ?? '').padEnd(24)} ${p.metricsUrl ? `metrics ${p.metricsUrl}` : ''}`.trimEnd());
  if (topology.prometheusConfig) console.log(`prometheus: prometheus --config.file=${topology.prometheusConfig}   (scrapes every process above)`);
  console.log(`topology: ${path.join(dir, 'topology.json')}   logs: ${path.join(dir, 'logs')}/   Ctrl-C stops everything`);
  for (const member of cluster.members()) {
    member.process.exited.then((exit) => {
      if (!stopping)
        console.error(`${member.name} exited unexpectedly (code ${exit.code}, signal ${exit.signal}); see ${path.join(dir, 'logs', `${member.name}.log`)}`);
    });
  }
}
