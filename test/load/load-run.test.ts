import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { ScenarioReport } from '../../load-tests/report/types.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { readReport, runLoadCli, writeSmallConfig, type CliRun } from './support.ts';

/**
 * Every scenario of npm run test:load, with small counts, against a deployment this test runs itself
 * (two edges and a worker over the real brokers and a database of its own) and names with --url, so
 * that it can count what the deployment stored and compare it with what the report says.
 */
describe('npm run test:load --url: every scenario, small, against two edges and a worker', () => {
  const namespace = uniqueNamespace('loadrun');
  const data = tempDir('loadrun');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let edges: RunningProcess[] = [];
  let run: CliRun;
  let report: ReturnType<typeof readReport>['report'];
  let htmlFile: string;
  let jsonFile: string;
  const USERS = 12;

  before(async () => {
    database = await createTestDatabase('loadrun');
    const env = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      WS_MAX_MESSAGES_PER_10S: '100000',
      REQUEST_TIMEOUT_MS: '60000',
    };
    processes.push(await startProcess('worker', { ...env, DATABASE_URL: database.url }, 120_000));
    edges = await Promise.all([startProcess('edge', env, 120_000), startProcess('edge', env, 120_000)]);
    processes.push(...edges);
    const configFile = path.join(data.dir, 'config.json');
    // Every request must succeed (a correctness bound, not a speed one): a failure breaks the run.
    writeSmallConfig(configFile, (c) => {
      for (const s of Object.values(c.scenarios)) s.thresholds = { minSuccessRate: 1 };
      c.scenarios['rest-auth'].users = USERS;
      c.scenarios['ws-auth'].users = USERS;
    });
    run = await runLoadCli(['--url', edges.map((e) => e.url).join(','), '--config', configFile, '--report-dir', path.join(data.dir, 'reports')]);
    ({ report, htmlFile, jsonFile } = readReport(run.stdout));
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  const scenario = (name: string): ScenarioReport => {
    const s = report.scenarios.find((x) => x.name === name);
    assert.ok(s, `no scenario ${name} in the report`);
    return s;
  };
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

  test('the run passes, prints the summary table and names both reports in the report folder', () => {
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /PASSED/);
    assert.match(run.stdout, /scenario\s+requests\s+ok %\s+req\/s\s+p50 ms\s+p95 ms\s+p99 ms/);
    for (const name of ['rest-auth', 'ws-auth', 'verify-storm', 'refresh-storm', 'mixed'])
      assert.match(run.stdout, new RegExp(`^${name}\\s+[\\d,]+\\s+100\\.00\\s`, 'm'));
    assert.equal(path.dirname(jsonFile), path.join(data.dir, 'reports'));
    assert.equal(path.dirname(htmlFile), path.join(data.dir, 'reports'));
    // Progress goes to stderr, as plain lines when it is not a terminal.
    assert.match(run.stderr, /rest-auth {2}.*done/);
  });

  test('the JSON report: every scenario, the target, the machine, and totals that add up', () => {
    assert.equal(report.passed, true);
    assert.equal(report.exitCode, 0);
    assert.deepEqual(report.target, { kind: 'given', urls: edges.map((e) => e.url) });
    assert.equal(typeof report.machine.cpus, 'number');
    assert.deepEqual(
      report.scenarios.map((s) => s.name),
      ['rest-auth', 'ws-auth', 'verify-storm', 'refresh-storm', 'mixed'],
    );
    for (const s of report.scenarios) {
      const ops = Object.values(s.operations!);
      assert.ok(s.total! > 0, s.name);
      assert.equal(s.ok! + s.failed!, s.total, `${s.name}: ok + failed`);
      assert.equal(sum(ops.map((o) => o.total)), s.total, `${s.name}: operations add up to the total`);
      assert.equal(sum(ops.map((o) => o.ok)), s.ok, `${s.name}: operations add up to ok`);
      assert.equal(sum(Object.values(s.errorsByCode!)), s.failed, `${s.name}: errors by code add up to the failures`);
      assert.equal(sum(s.timeline!.map((p) => p.ok + p.failed)), s.total, `${s.name}: the timeline adds up to the total`);
      assert.equal(s.failed, 0, `${s.name}: ${JSON.stringify(s.errorsByCode)}`);
      assert.equal(s.successRate, 1);
      assert.ok(
        s.latencyMs!.p50 > 0 && s.latencyMs!.p50 <= s.latencyMs!.p95 && s.latencyMs!.p95 <= s.latencyMs!.p99 && s.latencyMs!.p99 <= s.latencyMs!.max,
        `${s.name}: percentiles in order`,
      );
      assert.ok(s.throughputRps! > 0);
      assert.deepEqual(s.thresholds, [{ name: 'minSuccessRate', limit: '>= 1', actual: 1, passed: true }]);
      assert.equal(s.passed, true);
    }
  });

  test('the sign-up scenarios: each virtual user registered once and logged in once, on both transports', () => {
    const rest = scenario('rest-auth');
    assert.deepEqual(Object.keys(rest.operations!), ['rest login', 'rest register']);
    assert.equal(rest.operations!['rest register']!.total, USERS);
    assert.equal(rest.operations!['rest login']!.total, USERS);
    assert.equal(rest.unfinished, 0);
    const ws = scenario('ws-auth');
    assert.deepEqual(Object.keys(ws.operations!), ['ws connect', 'ws login', 'ws register']);
    for (const op of ['ws connect', 'ws register', 'ws login']) assert.equal(ws.operations![op]!.total, USERS, op);
    assert.equal(ws.details!.peakOpenConnections, USERS, 'all users were connected at once');
  });

  test('the storms ran their own tools: wrk for verify, autocannon for refresh, both for the mixed run', () => {
    const verify = scenario('verify-storm');
    assert.equal(verify.driver, 'wrk');
    assert.deepEqual(Object.keys(verify.operations!), ['rest verify']);
    assert.equal(verify.details!.wrkProcesses, 2, 'one wrk per URL');
    const refresh = scenario('refresh-storm');
    assert.deepEqual(Object.keys(refresh.operations!), ['rest refresh']);
    assert.ok(refresh.operations!['rest refresh']!.ok > 4, 'each session refreshed more than once: rotation worked');
    const mixed = scenario('mixed');
    for (const op of ['register', 'login', 'verify']) {
      assert.ok(mixed.operations![`rest ${op}`]!.ok > 0, `rest ${op}`);
      assert.ok(mixed.operations![`ws ${op}`]!.ok > 0, `ws ${op}`);
    }
  });

  test('what the report counts as success is what the deployment stored: accounts in PostgreSQL, sessions in Redis', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const accounts = async (scenarioName: string) =>
      Number((await client.query('SELECT count(*) AS n FROM users WHERE email LIKE $1', [`load-${report.runId}-${scenarioName}-%`])).rows[0].n);
    try {
      assert.equal(await accounts('rest-auth'), scenario('rest-auth').operations!['rest register']!.ok);
      assert.equal(await accounts('ws-auth'), scenario('ws-auth').operations!['ws register']!.ok);
      assert.equal(await accounts('verify-storm'), scenario('verify-storm').details!.tokens);
      assert.equal(await accounts('refresh-storm'), scenario('refresh-storm').details!.sessions);
      // A registration still in flight when the mixed run's time ran out is in no count of the
      // report, but the deployment may well have stored it.
      const mixed = scenario('mixed').operations!;
      const stored = await accounts('mixed');
      const answered = mixed['rest register']!.ok + mixed['ws register']!.ok;
      assert.ok(
        stored >= answered && stored <= answered + mixed['rest register']!.unfinished + mixed['ws register']!.unfinished,
        `${stored} stored, ${answered} answered`,
      );
    } finally {
      await client.end();
    }

    const redis = new Redis(REDIS_URL);
    const sessionsByScenario = new Map<string, number>();
    try {
      let cursor = '0';
      let rounds = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:sess:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys.filter((k) => !k.endsWith(':replaced'))) {
          const email = await redis.hget(key, 'email');
          const name = email && /^load-[^@]*?-(rest-auth|ws-auth)-\d+@/.exec(email)?.[1];
          if (name) sessionsByScenario.set(name, (sessionsByScenario.get(name) ?? 0) + 1);
        }
      } while (cursor !== '0' && ++rounds < 10_000);
    } finally {
      await redis.quit();
    }
    assert.equal(sessionsByScenario.get('rest-auth'), scenario('rest-auth').operations!['rest login']!.ok);
    assert.equal(sessionsByScenario.get('ws-auth'), scenario('ws-auth').operations!['ws login']!.ok);
  });

  test('the HTML report is self-contained and holds the throughput, latency and percentile charts', () => {
    const html = readFileSync(htmlFile, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes(report.runId));
    for (const s of report.scenarios) {
      assert.match(html, new RegExp(`<svg id="throughput-${s.name}"[^>]*>[\\s\\S]*?<polyline class="series" data-series="succeeded"[\\s\\S]*?</svg>`), s.name);
      assert.match(html, new RegExp(`<svg id="percentiles-${s.name}"[^>]*>[\\s\\S]*?<rect class="bar" data-series="p99"[\\s\\S]*?</svg>`), s.name);
      // wrk gives no latency per second; every other driver does.
      assert.equal(html.includes(`<svg id="latency-${s.name}"`), s.name !== 'verify-storm', s.name);
    }
    assert.equal((html.match(/<svg /g) ?? []).length, (html.match(/<\/svg>/g) ?? []).length);
    assert.doesNotMatch(html, /<script|<link|src=|@import|url\(/i, 'nothing is loaded from elsewhere');
  });
});
