// npm run test:chaos: the whole chaos run against the local cluster on private Redis, RabbitMQ and
// PostgreSQL instances that it starts itself (the machine's own services are never touched). For each
// fault in turn (worker SIGKILL, RabbitMQ restart, Redis restart, edge SIGKILL, PostgreSQL restart)
// it prints what happened to the requests sent around it and to the audit events they emitted (emitted
// = accepted by the broker, against rows stored); exits 1 if any request or event was lost or duplicated.
// Then
// the Redis Cluster fault (a master SIGKILL, its replica takes over) on a second cluster whose Redis
// is a private Redis Cluster of 3 masters and 3 replicas, and the RabbitMQ cluster fault (a node of
// three SIGKILLed) on a third whose RabbitMQ is three private nodes with quorum queues.
//   CHAOS_USERS (default 24)  CHAOS_THINK_MS (150)  CHAOS_MIN_REQUESTS (600)  CHAOS_DOWN_MS (3000: how
//   long a restarted dependency stays down)  CHAOS_FAULTS (all; a comma list of: worker, rabbitmq,
//   redis, edge, postgres, redis-master, rabbitmq-node)  CHAOS_BCRYPT_COST (8: enough work in hand for a killed worker to matter)
//   KEEP_CHAOS_DIR=1 keeps the logs.
// Every other variable (QUEUE_TYPE=quorum, ...) reaches the authgate processes.
import { ALL_FAULTS, killEdge, killRabbitMQNode, killRedisMaster, killWorker, restartPostgres, restartRabbitMQ, restartRedis, type Fault } from './faults.ts';
import { formatTable } from './report.ts';
import { runChaos } from './runner.ts';
import { PrivateRabbitMQ } from './services/index.ts';
import { Daemon } from './services/daemon.ts';
import { wholeNumber } from '../../scripts/env-number.ts';

const BY_NAME: Record<string, Fault> = {
  worker: killWorker,
  rabbitmq: restartRabbitMQ,
  redis: restartRedis,
  edge: killEdge,
  postgres: restartPostgres,
  'redis-master': killRedisMaster,
  'rabbitmq-node': killRabbitMQNode,
};

const faults = process.env.CHAOS_FAULTS
  ? process.env.CHAOS_FAULTS.split(',').map((name) => {
      const fault = BY_NAME[name.trim()];
      if (!fault) {
        console.error(`CHAOS_FAULTS: unknown fault ${JSON.stringify(name)} (known: ${Object.keys(BY_NAME).join(', ')})`);
        process.exit(2);
      }
      return fault;
    })
  : [...ALL_FAULTS, killRedisMaster, killRabbitMQNode];
if (faults.some((f) => f.needs === 'rabbitmq' || f.needs === 'rabbitmqCluster') && !PrivateRabbitMQ.available()) {
  console.error('rabbitmq-server is not installed (/usr/lib/rabbitmq/bin): the RabbitMQ fault cannot run');
  process.exit(2);
}

// A Ctrl-C stops what was started: the `exit` handlers kill every private server and cluster process.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the private servers and the cluster`);
    Daemon.killAll();
    process.exit(130);
  });
}

const started = Date.now();
const common = {
  users: wholeNumber('CHAOS_USERS', 24, 1, 1000),
  thinkMs: wholeNumber('CHAOS_THINK_MS', 150, 0, 60_000),
  minRequestsPerFault: wholeNumber('CHAOS_MIN_REQUESTS', 600, 1, 10_000_000),
  warmupMs: 3_000,
  downMs: wholeNumber('CHAOS_DOWN_MS', 3_000, 0, 60_000),
  tailMs: 12_000,
  maxPhaseMs: 180_000,
  requestTimeoutMs: 10_000,
  marginMs: 5_000,
  env: { BCRYPT_COST: String(wholeNumber('CHAOS_BCRYPT_COST', 8, 4, 15)) },
  log: (line: string) => console.log(`[chaos ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`),
};
// Faults of single servers and of clusters need their own deployments: one run each, in turn.
const onRedisCluster = faults.filter((f) => f.needs === 'redisCluster');
const onRabbitCluster = faults.filter((f) => f.needs === 'rabbitmqCluster');
const onSingle = faults.filter((f) => f.needs !== 'redisCluster' && f.needs !== 'rabbitmqCluster');
const reports = [
  ...(onSingle.length > 0 ? await runChaos({ ...common, faults: onSingle, backends: { redis: true, rabbitmq: true, postgres: true } }) : []),
  ...(onRedisCluster.length > 0
    ? await runChaos({ ...common, faults: onRedisCluster, backends: { redis: false, redisCluster: true, rabbitmq: true, postgres: true } })
    : []),
  ...(onRabbitCluster.length > 0
    ? await runChaos({
        ...common,
        faults: onRabbitCluster,
        backends: { redis: true, rabbitmq: false, rabbitmqCluster: true, postgres: true },
        env: { ...common.env, QUEUE_TYPE: 'quorum', QUEUE_DELIVERY_LIMIT: '3' },
      })
    : []),
];

console.log(`\n${formatTable(reports)}\n`);
console.log('outage: from the fault until the process was killed or the dependency accepted connections again;');
console.log('recovery: from the fault until every request sent from then on succeeded; after back: of that, after the outage.');
console.log(
  'audit: events the broker accepted during the phase (a tap queue bound beside the audit queue) / of them stored in audit_events / missing / rows beyond one per event id.',
);
const failed = reports.filter((r) => r.lost > 0 || r.duplicated > 0 || r.crashed.length > 0 || r.audit.missing > 0 || r.audit.duplicateRows > 0);
if (failed.length > 0) {
  console.error(`lost or duplicated requests or audit events, or crashed processes, under: ${failed.map((r) => r.fault).join(', ')}`);
  process.exit(1);
}
const slow = reports.filter((r) => r.recoveryAfterBackS >= 10);
if (slow.length > 0) console.log(`recovery after the dependency was back took 10 s or more under: ${slow.map((r) => r.fault).join(', ')}`);
process.exit(0);
