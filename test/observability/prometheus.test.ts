import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../../scripts/cluster/index.ts';
import { renderPrometheusConfig } from '../../scripts/cluster/prometheus.ts';
import { post } from '../helpers/http.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';
import { PROMTOOL_BIN, startPrometheus, type PrometheusServer } from './prometheus-server.ts';

const ALERTS = path.join(ROOT, 'deploy/prometheus/alerts.yml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/authgate.json');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('deploy/: alert rules and scrape configs pass promtool', () => {
  test('promtool check rules: the alert rules load', () => {
    const out = execFileSync(PROMTOOL_BIN, ['check', 'rules', ALERTS], { encoding: 'utf8' });
    assert.match(out, /SUCCESS: \d+ rules found/);
  });
  test('promtool check config: the cluster and compose scrape configs', () => {
    execFileSync(PROMTOOL_BIN, ['check', 'config', path.join(ROOT, 'deploy/prometheus/cluster.yml')], { encoding: 'utf8' });
    // Its rule file is the container's path: only the syntax can be checked here.
    execFileSync(PROMTOOL_BIN, ['check', 'config', '--syntax-only', path.join(ROOT, 'deploy/prometheus/compose.yml')], { encoding: 'utf8' });
  });
});

/**
 * Two edges and a worker as separate processes (RabbitMQ, Redis, PostgreSQL), each with its metrics
 * on a free port, scraped every second by a real Prometheus under a short load; everything is read
 * back through Prometheus's HTTP API.
 */
describe('metrics through a real Prometheus: a two-edge cluster under a short load', () => {
  const namespace = uniqueNamespace('prom');
  const data = tempDir('prom');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const processes: RunningProcess[] = [];
  let edges: RunningProcess[];
  let worker: RunningProcess;
  let api: RunningProcess;
  let prometheus: PrometheusServer | undefined;
  const sent = { verify: 0, loginOk: 0, loginWrong: 0, register: 0, me: 0 };

  before(async () => {
    database = await createTestDatabase('prom');
    const env = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_ACCOUNT_MAX_FAILURES: '1000',
      LOGIN_FREE_FAILURES: '1000',
    };
    worker = await startProcess('worker', { ...env, DATABASE_URL: database.url });
    processes.push(worker);
    edges = await Promise.all([startProcess('edge', env), startProcess('edge', env)]);
    processes.push(...edges);
    // The account API and the mailer too (each registration queues a verification mail; without
    // SMTP_URL the mailer writes it under DATA_DIR/outbox): the dashboard has panels of theirs.
    api = await startProcess('api', { ...env, DATABASE_URL: database.url });
    processes.push(api, await startProcess('mailer', env));
    for (const p of processes) assert.ok(p.metricsPort, `${p.target} reports its metrics port`);
    const config = renderPrometheusConfig(
      processes.map((p, i) => ({
        name: `${p.target}-${i}`,
        role: p.target as 'edge' | 'worker' | 'api' | 'mailer',
        metricsUrl: `http://127.0.0.1:${p.metricsPort}/metrics`,
      })),
      { rulesFile: ALERTS, scrapeInterval: '1s' },
    );
    prometheus = await startPrometheus(config, data.dir);
    // Prometheus hands new targets to its scrapers a few seconds after start: load only once each is scraped.
    const until = Date.now() + 30_000;
    while ((await prometheus.query('up == 1')).length < processes.length) {
      if (Date.now() > until) assert.fail('prometheus did not scrape every process within 30 s');
      await sleep(250);
    }

    // The load: on each edge, registrations, logins (right and wrong password) and cached verifies,
    // spread over a few seconds so that every counter is scraped while it rises.
    const rounds = 8;
    await Promise.all(
      edges.map(async (edge) => {
        const email = newEmail('prom');
        assert.equal((await post(edge.url, '/auth/register', { email, password: PASSWORD })).status, 201);
        sent.register++;
        for (let round = 0; round < rounds; round++) {
          const login = await post(edge.url, '/auth/login', { email, password: PASSWORD });
          assert.equal(login.status, 200);
          sent.loginOk++;
          const me = await fetch(`${api.url}/auth/me`, { headers: { authorization: `Bearer ${login.body.accessToken}` } });
          assert.equal(me.status, 200);
          await me.arrayBuffer();
          sent.me++;
          assert.equal((await post(edge.url, '/auth/login', { email, password: 'wrong password here' })).status, 401);
          sent.loginWrong++;
          for (let i = 0; i < 25; i++) {
            const res = await fetch(`${edge.url}/auth/verify`, { headers: { authorization: `Bearer ${login.body.accessToken}` } });
            assert.equal(res.status, 200);
            await res.arrayBuffer();
            sent.verify++;
          }
          await sleep(500);
        }
      }),
    );
    // Scraped every second: after 3 s the last values are in.
    await sleep(3_000);
  });

  after(async () => {
    await prometheus?.stop();
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  const value = async (expr: string): Promise<number> => {
    const result = await prometheus!.query(expr);
    assert.equal(result.length, 1, `${expr} has one series (got ${JSON.stringify(result)})`);
    return Number(result[0]!.value[1]);
  };

  test('every process is a healthy target of its role', async () => {
    const up = await prometheus!.query('up');
    assert.deepEqual(up.map((s) => s.metric.job).sort(), ['authgate-api', 'authgate-edge', 'authgate-edge', 'authgate-mailer', 'authgate-worker']);
    for (const s of up) assert.equal(s.value[1], '1', `${s.metric.instance} is up`);
  });

  test('edge counters: the requests sent, by route and status, split over both edges', async () => {
    assert.equal(await value('sum(authgate_http_requests_total{route="/auth/verify",status="200"})'), sent.verify);
    assert.equal(await value('sum(authgate_http_requests_total{route="/auth/login",status="200"})'), sent.loginOk);
    assert.equal(await value('sum(authgate_http_requests_total{route="/auth/login",status="401"})'), sent.loginWrong);
    assert.equal(await value('sum(authgate_http_requests_total{route="/auth/register",status="201"})'), sent.register);
    const perEdge = await prometheus!.query('sum by (instance) (authgate_http_requests_total{route="/auth/verify"})');
    assert.equal(perEdge.length, 2, 'each edge reports its own requests');
    for (const s of perEdge) assert.equal(Number(s.value[1]), sent.verify / 2);
    // Verified once (a miss), then answered from the cache.
    assert.equal(await value('sum(authgate_verify_cache_lookups_total{result="hit"}) + sum(authgate_verify_cache_lookups_total{result="miss"})'), sent.verify);
    assert.equal(await value('sum(authgate_edge_commands_published_total)'), sent.register + sent.loginOk + sent.loginWrong);
  });

  test('rates over the load window are positive for each route and for the worker', async () => {
    for (const expr of [
      'sum(rate(authgate_http_requests_total{route="/auth/verify"}[30s]))',
      'sum(rate(authgate_http_requests_total{route="/auth/login"}[30s]))',
      'sum(rate(authgate_worker_commands_total{kind="login"}[30s]))',
    ]) {
      const rate = await value(expr);
      assert.ok(rate > 0 && Number.isFinite(rate), `${expr} = ${rate}`);
    }
  });

  test('worker counters: commands by kind and outcome, results delivered, bcrypt jobs', async () => {
    assert.equal(await value('sum(authgate_worker_commands_total{kind="login",outcome="ok"})'), sent.loginOk);
    assert.equal(await value('sum(authgate_worker_commands_total{kind="login",outcome="invalid_credentials"})'), sent.loginWrong);
    assert.equal(await value('sum(authgate_worker_commands_total{kind="register",outcome="ok"})'), sent.register);
    assert.equal(await value('sum(authgate_worker_results_total{outcome="delivered"})'), sent.register + sent.loginOk + sent.loginWrong);
    // One compare per login, one hash per registration.
    assert.equal(await value('sum(authgate_bcrypt_duration_seconds_count{op="compare"})'), sent.loginOk + sent.loginWrong);
    assert.equal(await value('sum(authgate_bcrypt_duration_seconds_count{op="hash"})'), sent.register);
    assert.equal(await value('sum(authgate_audit_events_total{action="login.failed"})'), sent.loginWrong);
  });

  test('a non-empty latency histogram per role, and its p99', async () => {
    const edgeP99 = await value(
      'histogram_quantile(0.99, sum by (le) (rate(authgate_http_request_duration_seconds_bucket{job="authgate-edge",route="/auth/login"}[30s])))',
    );
    const workerP99 = await value(
      'histogram_quantile(0.99, sum by (le) (rate(authgate_worker_command_duration_seconds_bucket{job="authgate-worker",kind="login"}[30s])))',
    );
    for (const [role, p99] of [
      ['edge', edgeP99],
      ['worker', workerP99],
    ] as const)
      assert.ok(Number.isFinite(p99) && p99 > 0, `${role} p99 = ${p99}`);
    assert.equal(
      await value('sum(authgate_http_request_duration_seconds_count{job="authgate-edge"}) > 0'),
      sent.verify + sent.register + sent.loginOk + sent.loginWrong,
    );
    assert.ok((await value('sum(authgate_worker_queue_wait_seconds_count{lane="password"})')) === sent.register + sent.loginOk + sent.loginWrong);
  });

  test('the account API counts its requests by route template; the mailer sent each verification mail once', async () => {
    assert.equal(await value('sum(authgate_api_requests_total{route="/auth/me",method="GET",status="200"})'), sent.me);
    const p99 = await value(
      'histogram_quantile(0.99, sum by (le) (rate(authgate_api_request_duration_seconds_bucket{job="authgate-api",route="/auth/me"}[30s])))',
    );
    assert.ok(Number.isFinite(p99) && p99 > 0, `api p99 = ${p99}`);
    assert.equal(await value('sum(authgate_mail_jobs_total{kind="verify_email",outcome="sent"})'), sent.register);
    assert.equal(await value('sum(authgate_audit_rows_written_total) > 0'), await value('sum(authgate_audit_rows_written_total)'));
  });

  test('queue gauges: both lanes drained, one consumer each, no publish left unconfirmed', async () => {
    const lanes = await prometheus!.query('max by (lane) (authgate_queue_consumers)');
    assert.deepEqual(lanes.map((s) => [s.metric.lane, s.value[1]]).sort(), [
      ['password', '1'],
      ['session', '1'],
    ]);
    assert.equal(await value('max(authgate_queue_messages)'), 0);
    assert.equal(await value('sum(authgate_queue_publishes_unconfirmed)'), 0);
    assert.equal(await value('sum(authgate_edge_pending_requests)'), 0);
  });

  test('the rules are loaded, and every dashboard query is valid PromQL over metrics the processes export', async () => {
    const groups = (await prometheus!.get('/api/v1/rules')).groups as Array<{ rules: Array<{ name: string; health: string }> }>;
    const rules = groups.flatMap((g) => g.rules);
    assert.ok(rules.length >= 6);
    for (const rule of rules) assert.equal(rule.health, 'ok', rule.name);

    const exported = new Set<string>();
    for (const p of processes) {
      const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
      for (const m of text.matchAll(/^# HELP (\S+)/gm)) exported.add(m[1]!);
    }
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    assert.ok(exprs.length >= 20);
    const rulesText = readFileSync(ALERTS, 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    const referenced = new Set([...rulesText.matchAll(/\b(authgate_[a-z_]+[a-z])\b/g)].map((m) => m[1]!));
    for (const { panel, expr } of exprs) {
      await prometheus!.query(expr.replaceAll('$__rate_interval', '30s')).catch((err: Error) => assert.fail(`${panel}: ${err.message}`));
      for (const m of expr.matchAll(/\b((?:authgate|process|nodejs)_[a-z0-9_]+)/g)) referenced.add(m[1]!);
    }
    for (const name of referenced) {
      const family = name.replace(/_(bucket|sum|count)$/, '');
      assert.ok(exported.has(family) || exported.has(name), `${name} is exported by some process`);
    }
  });

  test('no consumers: with the worker gone, AuthgateNoConsumers and AuthgateTargetDown go pending', async () => {
    await worker.stop();
    const until = Date.now() + 20_000;
    let firing: string[] = [];
    while (Date.now() < until) {
      const alerts = (await prometheus!.get('/api/v1/alerts')).alerts as Array<{ labels: { alertname: string }; state: string }>;
      firing = alerts.map((a) => `${a.labels.alertname}:${a.state}`);
      if (firing.includes('AuthgateNoConsumers:pending') && firing.includes('AuthgateTargetDown:pending')) break;
      await sleep(500);
    }
    assert.ok(firing.includes('AuthgateNoConsumers:pending'), firing.join(', '));
    assert.ok(firing.includes('AuthgateTargetDown:pending'), firing.join(', '));
  });
});

// The generated cluster config is what `npm run cluster` writes: promtool accepts it as well.
describe('renderPrometheusConfig', () => {
  test('one job per role, each process a target, the alert rules referenced; promtool check config passes', () => {
    const dir = tempDir('promcfg');
    try {
      const text = renderPrometheusConfig(
        [
          { name: 'nginx', role: 'nginx', metricsUrl: null },
          { name: 'edge-1', role: 'edge', metricsUrl: 'http://127.0.0.1:9101/metrics' },
          { name: 'edge-2', role: 'edge', metricsUrl: 'http://127.0.0.1:9102/metrics' },
          { name: 'worker-1', role: 'worker', metricsUrl: 'http://127.0.0.1:9201/metrics' },
        ],
        { rulesFile: ALERTS },
      );
      const file = path.join(dir.dir, 'prometheus.yml');
      writeFileSync(file, text);
      execFileSync(PROMTOOL_BIN, ['check', 'config', file], { encoding: 'utf8' });
      assert.match(text, /job_name: authgate-edge[\s\S]*127\.0\.0\.1:9101[\s\S]*127\.0\.0\.1:9102/);
      assert.match(text, /job_name: authgate-worker[\s\S]*127\.0\.0\.1:9201/);
      assert.doesNotMatch(text, /nginx/);
    } finally {
      dir.remove();
    }
  });
});
