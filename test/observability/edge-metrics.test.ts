import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { post } from '../helpers/http.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { openSocket } from '../helpers/sockets.ts';
import { tempDir } from '../helpers/services.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';

/** Read straight from GET /metrics of an all-in-one process: what the Prometheus test does not drive. */
describe('metrics of the all-in-one process: limiter refusals, WebSocket, the listener itself', () => {
  const data = tempDir('edge-metrics');
  let proc: RunningProcess;
  let off: RunningProcess;

  before(async () => {
    proc = await startProcess('all', { DATA_DIR: `${data.dir}/on`, BCRYPT_COST: '4', RATE_LIMIT_IP_PER_MINUTE: '3' });
    off = await startProcess('all', { DATA_DIR: `${data.dir}/off`, BCRYPT_COST: '4', METRICS_PORT: 'off' });
  });
  after(async () => {
    await proc?.stop();
    await off?.stop();
    data.remove();
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`)).text();
  const sample = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  test('a request past the per-IP limit counts as a refusal of the ip limiter and a 429 of its route', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await post(proc.url, '/auth/login', { email: newEmail(), password: PASSWORD })).status, 401);
    assert.equal((await post(proc.url, '/auth/login', { email: newEmail(), password: PASSWORD })).status, 429);
    const text = await scrape();
    assert.equal(sample(text, 'authgate_limiter_refusals_total{limiter="ip"}'), 1);
    assert.equal(sample(text, 'authgate_limiter_refusals_total{limiter="login"}'), 0);
    assert.equal(sample(text, 'authgate_http_requests_total{route="/auth/login",status="429"}'), 1);
    assert.equal(sample(text, 'authgate_http_requests_total{route="/auth/login",status="401"}'), 3);
    assert.equal(sample(text, 'authgate_worker_commands_total{kind="login",outcome="invalid_credentials"}'), 3);
  });

  test('WebSocket: connections held, messages by type and outcome', async () => {
    const socket = await openSocket(`ws://127.0.0.1:${proc.port}/ws`);
    try {
      const answer = await socket.request('verify', { accessToken: 'not-a-token-at-all' });
      assert.equal(answer.status, 401);
      const text = await scrape();
      assert.equal(sample(text, 'authgate_ws_connections'), 1);
      assert.equal(sample(text, 'authgate_ws_messages_total{type="verify",outcome="invalid_token"}'), 1);
      assert.equal(sample(text, 'authgate_ws_message_duration_seconds_count{type="verify"}'), 1);
    } finally {
      socket.close();
    }
  });

  test("the account API's routes in the all-in-one (answered through the edge's fallback) and the audit writer are counted", async () => {
    assert.equal((await fetch(`${proc.url}/auth/me`)).status, 401);
    assert.equal((await fetch(`${proc.url}/admin/analytics/users/${crypto.randomUUID()}`)).status, 401);
    let text = await scrape();
    assert.equal(sample(text, 'authgate_api_requests_total{route="/auth/me",method="GET",status="401"}'), 1);
    assert.equal(sample(text, 'authgate_api_requests_total{route="/admin/analytics/users/:userId",method="GET",status="401"}'), 1);
    // The first test's three failed logins were audit events: the in-process writer stored them (in batches).
    const until = Date.now() + 10_000;
    while ((sample(text, 'authgate_audit_rows_written_total') ?? 0) < 3 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape();
    }
    assert.ok(sample(text, 'authgate_audit_rows_written_total')! >= 3, 'audit rows written');
    assert.equal(sample(text, 'authgate_audit_write_duration_seconds_count'), sample(text, 'authgate_audit_batches_total{outcome="written"}'));
    // The mailer's families are there from the start, every kind at 0 (no mail asked for here).
    assert.equal(sample(text, 'authgate_mail_jobs_total{kind="verify_email",outcome="sent"}'), 0);
  });

  test('the listener answers only GET /metrics; the public port has no /metrics; METRICS_PORT=off has no listener', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${proc.metricsPort}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`, { method: 'POST' })).status, 404);
    const publicPort = await fetch(`${proc.url}/metrics`);
    assert.equal(publicPort.status, 404);
    assert.doesNotMatch(await publicPort.text(), /authgate_/);
    assert.equal(off.metricsPort, undefined);
    assert.equal((await fetch(`${off.url}/health`)).status, 200);
  });
});
