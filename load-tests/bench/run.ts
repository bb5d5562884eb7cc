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
import { benchStuffing } from './stuffing.ts';
import { benchVerify } from './verify.ts';
import { benchVerifyMetrics } from './verify-metrics.ts';
import { benchVerifyUnderLoad } from './verify-under-load.ts';

/**
 * npm run bench: ratios measured within one run on this machine, each against a baseline taken in the
 * same run, never absolute figures from different runs. Loopback only; every phase is bounded.
 *   BENCH_ONLY=a,b,c,d,e,f,g,h,i,j,k,l,oidc-signin,oidc-refresh,passkey which benches (default a-h, k, l, the two oidc and passkey); (a) also measures metrics on ÷ off; `am`
 *                            runs that one alone; `g10m` (never by default: minutes) the audit trail at 10 M events
 *   BENCH_METRICS_PAIRS=6    on/off pairs of (a')
 *   BENCH_SECONDS=8          length of each timed phase
 *   BENCH_BCRYPT_COST=12     bcrypt cost of (b), (d) and (h)
 *   BENCH_MFA_SAMPLES=60     plain and TOTP logins each of (h)
 *   BENCH_CONNECTIONS=100000 WebSockets (e) tries to hold, over BENCH_CONNECTION_EDGES edges (default: one per 17,000)
 *   BENCH_CONNECTIONS_OPEN_S=120  (e) starts no connection after this long
 *   BENCH_OVERLOAD_SECONDS=30 length of (h)'s storm at 3x bcrypt's rate (run with the lane check off, then on)
 *   AUDIT_BENCH_EVENTS=1000000, AUDIT_BENCH_WRITES=50000  generated / written audit events of (g)
 *   BENCH_CLUSTER_RESULTS=2000  results (h) delivers in each pub/sub mode on its private Redis Cluster
 *   BENCH_PAGE_LOADS=15      cold loads of the page, and of GET /health, in each shape of (k)
 *   oidc-signin, oidc-refresh (in the default list) the OpenID provider ÷ the gateway: authorization-code
 *                            sign-ins ÷ plain logins (BENCH_OIDC_SAMPLES=20 of each, bcrypt at
 *                            BENCH_BCRYPT_COST), token-endpoint refreshes ÷ gateway refreshes per second
 *                            (BENCH_OIDC_SESSIONS=16 in flight, BENCH_SECONDS each)
 *   BENCH_ONLY=passkey       (by name) a passkey sign-in ÷ a password sign-in at BENCH_BCRYPT_COST, BENCH_PASSKEY_SAMPLES (40) of each
 *   BENCH_ONLY=stuffing      (by name, never by default: minutes) a credential stuffing wave, defence off then on, in both shapes:
 *                            password work on ÷ off, owners' p99 during the wave ÷ idle, known devices challenged, time to
 *                            detect. BENCH_STUFFING_COST=8 (bcrypt), BENCH_STUFFING_SECONDS=40, BENCH_STUFFING_RATE=25, BENCH_STUFFING_OWNERS=4
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100_000);
const CONNECTION_EDGES = Number(process.env.BENCH_CONNECTION_EDGES ?? Math.max(1, Math.ceil(CONNECTIONS / 17_000)));
const OVERLOAD_SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 30);
const only = new Set((process.env.BENCH_ONLY ?? 'a,b,c,d,e,f,g,h,k,l,oidc-signin,oidc-refresh,passkey').split(','));

const results: Record<string, unknown>[] = [];
const step = async (name: string, fn: () => Promise<Record<string, unknown> | Record<string, unknown>[]>) => {
  if (!only.has(name)) return;
  process.stderr.write(`bench ${name}...\n`);
  const out = await fn();
  results.push(...(Array.isArray(out) ? out : [out]));
};
const PAIRS = Number(process.env.BENCH_METRICS_PAIRS ?? 6);
await step('a', async () => [await benchVerify(SECONDS), await benchVerifyMetrics(SECONDS, PAIRS)]);
await step('am', () => benchVerifyMetrics(SECONDS, PAIRS));
await step('b', () => benchLogins(SECONDS, COST));
await step('c', () => benchRefresh(SECONDS));
await step('d', () => benchVerifyUnderLoad(SECONDS, COST));
await step('e', () =>
  benchConnections({ target: CONNECTIONS, edges: CONNECTION_EDGES, openDeadlineMs: Number(process.env.BENCH_CONNECTIONS_OPEN_S ?? 120) * 1000 }),
);
await step('f', () => benchFanout(200));
await step('j', () => benchOverload(OVERLOAD_SECONDS, COST));
await step('g', () =>
  benchAudit({
    writes: Number(process.env.AUDIT_BENCH_WRITES ?? 50_000),
    analyticsEvents: Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000),
    batchSize: Number(process.env.AUDIT_BENCH_BATCH ?? 500),
    runs: Number(process.env.AUDIT_BENCH_RUNS ?? 40),
  }),
);
await step('h', () => benchMfaLogins(COST, Number(process.env.BENCH_MFA_SAMPLES ?? 60)));
await step('passkey', () => benchPasskeys(COST, Number(process.env.BENCH_PASSKEY_SAMPLES ?? 40)));
await step('g10m', () =>
  benchAudit10m({
    events: Number(process.env.AUDIT_10M_EVENTS ?? 10_000_000),
    runs: Number(process.env.AUDIT_10M_RUNS ?? 50),
    maxQuerySeconds: Number(process.env.AUDIT_10M_QUERY_S ?? 30),
    writes: Number(process.env.AUDIT_10M_WRITES ?? 100_000),
    batchSize: Number(process.env.AUDIT_10M_BATCH ?? 500),
    log: (line) => process.stderr.write(`  ${line}\n`),
  }),
);
await step('k', () => benchPageLoad(Number(process.env.BENCH_PAGE_LOADS ?? 15)));
await step('l', () => benchIdleCpu(SECONDS));
await step('i', () => benchClusterBus(Number(process.env.BENCH_CLUSTER_RESULTS ?? 2_000)));
await step('oidc-signin', () => benchOidcSignIn(Number(process.env.BENCH_OIDC_SAMPLES ?? 20), COST));
await step('stuffing', () =>
  benchStuffing({
    cost: Number(process.env.BENCH_STUFFING_COST ?? 8),
    waveSeconds: Number(process.env.BENCH_STUFFING_SECONDS ?? 40),
    rate: Number(process.env.BENCH_STUFFING_RATE ?? 25),
    owners: Number(process.env.BENCH_STUFFING_OWNERS ?? 4),
  }),
);
await step('oidc-refresh', () => benchOidcRefresh(SECONDS, Number(process.env.BENCH_OIDC_SESSIONS ?? 16), COST));

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
