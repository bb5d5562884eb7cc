import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchAudit } from './audit.ts';
import { benchAudit10m } from './audit-10m.ts';
import { benchClusterBus } from './cluster-bus.ts';
import { benchConnections } from './connections.ts';
import { benchFanout } from './fanout.ts';
import { benchIdleCpu } from './idle-cpu.ts';
import { benchLogins } from './logins.ts';
import { benchMfaLogins } from './mfa-logins.ts';
import { benchOidcRefresh, benchOidcSignIn } from './oidc.ts';
import { benchOverload } from './overload.ts';
import { benchPageLoad } from './page-load.ts';
import { benchPasskeys } from './passkeys.ts';
import { benchRefresh } from './refresh.ts';
import { type Bench, BenchSelectionError, selectBenches } from './select.ts';
import { benchStuffing } from './stuffing.ts';
import { benchVerify } from './verify.ts';
import { benchVerifyMetrics } from './verify-metrics.ts';
import { benchVerifyUnderLoad } from './verify-under-load.ts';

/**
 * npm run bench: ratios measured within one run on this machine, each against a baseline taken in the
 * same run, never absolute figures from different runs. Loopback only; every phase is bounded.
 *
 *   npm run bench                      every bench marked byDefault below
 *   npm run bench -- verify,refresh    those benches (by name, commas or spaces), in the table's order
 *   BENCH_ONLY=verify,refresh npm run bench   the same
 *
 * The benches (* = not by default):
 *   verify              GET /auth/verify on a cached token ÷ a bare uWebSockets.js handler
 *   verify-metrics      verify with metrics on ÷ off, BENCH_METRICS_PAIRS=6 on/off pairs
 *   login               logins through the pipeline ÷ bcrypt compares, at BENCH_BCRYPT_COST=12
 *   refresh             refresh round trip ÷ a bare edge → RabbitMQ → worker → Redis hop
 *   verify-under-load   verify p99 during a login storm ÷ idle, at BENCH_BCRYPT_COST
 *   connections         BENCH_CONNECTIONS=100000 WebSockets held over BENCH_CONNECTION_EDGES edges (default:
 *                       one per 17,000), none started after BENCH_CONNECTIONS_OPEN_S=120; memory per connection
 *   fanout              Redis messages per delivered result with 1, 2 and 4 edges
 *   overload*           logins at 3x bcrypt's rate for BENCH_OVERLOAD_SECONDS=30, the lane check off then on
 *   audit               audit trail writes and analytics: AUDIT_BENCH_WRITES=50000 written,
 *                       AUDIT_BENCH_EVENTS=1000000 generated
 *   mfa                 a TOTP login ÷ a plain login, BENCH_MFA_SAMPLES=60 of each, at BENCH_BCRYPT_COST
 *   passkey             a passkey sign-in ÷ a password sign-in, BENCH_PASSKEY_SAMPLES=40 of each, at BENCH_BCRYPT_COST
 *   audit-10m*          the audit trail at 10 M events (minutes: AUDIT_10M_* settings in audit-10m.ts)
 *   page-load           the page's cold loads in chromium ÷ GET /health, BENCH_PAGE_LOADS=15 in each shape
 *   idle-cpu            an idle edge and worker's CPU with metrics on ÷ off
 *   cluster-bus*        Redis Cluster bus messages per result, PUBLISH vs SPUBLISH, BENCH_CLUSTER_RESULTS=2000
 *   oidc-signin         authorization-code sign-ins ÷ plain logins, BENCH_OIDC_SAMPLES=20 of each, at BENCH_BCRYPT_COST
 *   oidc-refresh        token-endpoint refreshes ÷ gateway refreshes per second, BENCH_OIDC_SESSIONS=16 in flight
 *   stuffing*           a credential stuffing wave, the defence off then on, in both shapes (about ten minutes):
 *                       password work on ÷ off, owners' p99 during the wave ÷ idle, known devices challenged, time
 *                       to detect; BENCH_STUFFING_COST=8 (bcrypt), BENCH_STUFFING_SECONDS=40, BENCH_STUFFING_RATE=25,
 *                       BENCH_STUFFING_OWNERS=4
 *
 *   BENCH_SECONDS=8     length of each timed phase
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100_000);
const CONNECTION_EDGES = Number(process.env.BENCH_CONNECTION_EDGES ?? Math.max(1, Math.ceil(CONNECTIONS / 17_000)));
const OVERLOAD_SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 30);
const PAIRS = Number(process.env.BENCH_METRICS_PAIRS ?? 6);
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const connectionsOptions = { target: CONNECTIONS, edges: CONNECTION_EDGES, openDeadlineMs: env('BENCH_CONNECTIONS_OPEN_S', 120) * 1000 };
const auditOptions = {
  writes: env('AUDIT_BENCH_WRITES', 50_000),
  analyticsEvents: env('AUDIT_BENCH_EVENTS', 1_000_000),
  batchSize: env('AUDIT_BENCH_BATCH', 500),
  runs: env('AUDIT_BENCH_RUNS', 40),
};
const audit10mOptions = {
  events: env('AUDIT_10M_EVENTS', 10_000_000),
  runs: env('AUDIT_10M_RUNS', 50),
  maxQuerySeconds: env('AUDIT_10M_QUERY_S', 30),
  writes: env('AUDIT_10M_WRITES', 100_000),
  batchSize: env('AUDIT_10M_BATCH', 500),
  log: (line: string) => process.stderr.write(`  ${line}\n`),
};

type Row = Record<string, unknown>;
/** One line per bench, in the order a run takes them. */
const BENCHES: Bench<Row>[] = [
  { name: 'verify', byDefault: true, run: () => benchVerify(SECONDS) },
  { name: 'verify-metrics', byDefault: true, run: () => benchVerifyMetrics(SECONDS, PAIRS) },
  { name: 'login', byDefault: true, run: () => benchLogins(SECONDS, COST) },
  { name: 'refresh', byDefault: true, run: () => benchRefresh(SECONDS) },
  { name: 'verify-under-load', byDefault: true, run: () => benchVerifyUnderLoad(SECONDS, COST) },
  { name: 'connections', byDefault: true, run: () => benchConnections(connectionsOptions) },
  { name: 'fanout', byDefault: true, run: () => benchFanout(200) },
  { name: 'overload', byDefault: false, run: () => benchOverload(OVERLOAD_SECONDS, COST) },
  { name: 'audit', byDefault: true, run: () => benchAudit(auditOptions) },
  { name: 'mfa', byDefault: true, run: () => benchMfaLogins(COST, env('BENCH_MFA_SAMPLES', 60)) },
  { name: 'passkey', byDefault: true, run: () => benchPasskeys(COST, env('BENCH_PASSKEY_SAMPLES', 40)) },
  { name: 'audit-10m', byDefault: false, run: () => benchAudit10m(audit10mOptions) },
  { name: 'page-load', byDefault: true, run: () => benchPageLoad(env('BENCH_PAGE_LOADS', 15)) },
  { name: 'idle-cpu', byDefault: true, run: () => benchIdleCpu(SECONDS) },
  { name: 'cluster-bus', byDefault: false, run: () => benchClusterBus(env('BENCH_CLUSTER_RESULTS', 2_000)) },
  { name: 'oidc-signin', byDefault: true, run: () => benchOidcSignIn(env('BENCH_OIDC_SAMPLES', 20), COST) },
  { name: 'oidc-refresh', byDefault: true, run: () => benchOidcRefresh(SECONDS, env('BENCH_OIDC_SESSIONS', 16), COST) },
  {
    name: 'stuffing',
    byDefault: false,
    run: () =>
      benchStuffing({
        cost: env('BENCH_STUFFING_COST', 8),
        waveSeconds: env('BENCH_STUFFING_SECONDS', 40),
        rate: env('BENCH_STUFFING_RATE', 25),
        owners: env('BENCH_STUFFING_OWNERS', 4),
      }),
  },
];

let selected: Bench<Row>[];
try {
  selected = selectBenches(BENCHES, process.argv.slice(2), process.env.BENCH_ONLY);
} catch (err) {
  if (!(err instanceof BenchSelectionError)) throw err;
  console.error(`npm run bench: ${err.message}`);
  process.exit(2);
}

const results: Row[] = [];
for (const bench of selected) {
  process.stderr.write(`bench ${bench.name}...\n`);
  const out = await bench.run();
  results.push(...(Array.isArray(out) ? out : [out]));
}

for (const row of results) {
  console.log(`\n${row.bench}`);
  for (const [k, v] of Object.entries(row)) if (k !== 'bench') console.log(`  ${k.padEnd(26)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
}
const report = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  at: new Date().toISOString(),
  seconds: SECONDS,
  results,
};
mkdirSync('load-tests/reports', { recursive: true });
const file = path.join('load-tests/reports', `bench-${Date.now()}.json`);
writeFileSync(file, JSON.stringify(report, null, 2));
console.log(`\nwritten ${file}`);
