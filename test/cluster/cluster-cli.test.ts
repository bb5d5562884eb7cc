import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { freePort, ROOT, type Topology } from '../../scripts/cluster/index.ts';
import { PG_ADMIN_URL, cleanupNamespace, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { withTimeout } from './support.ts';

/**
 * `npm run cluster` as a person runs it: the script starts everything, creates its database when
 * missing, writes .cluster/topology.json, says when it is ready, and SIGTERM stops every process.
 */
const dir = tempDir('cluster-cli');
const namespace = uniqueNamespace('cli');
const database = `authgate_cli_${randomBytes(4).toString('hex')}`;

after(async () => {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await cleanupNamespace(namespace);
  dir.remove();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('npm run cluster: ready with a topology of live processes, and SIGTERM stops them all', async () => {
  const databaseUrl = new URL(PG_ADMIN_URL);
  databaseUrl.pathname = `/${database}`;
  const [port, edgeBasePort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      // One edge: its port is the base itself.
      EDGES: '1',
      WORKERS: '1',
      EDGE_BASE_PORT: String(edgeBasePort),
      API_PORT: String(apiPort),
      // Each process's metrics on a free port (the default is 9100 + n).
      METRICS_BASE_PORT: '0',
      NAMESPACE: namespace,
      DATABASE_URL: databaseUrl.toString(),
      CLUSTER_DIR: path.join(dir.dir, 'cluster'),
      DATA_DIR: path.join(dir.dir, 'data'),
      BCRYPT_COST: '4',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (output.includes('authgate cluster ready')) {
            clearInterval(poll);
            resolve();
          }
        }, 50);
        exited.then((code) => {
          clearInterval(poll);
          reject(new Error(`cluster exited with ${code}:\n${output}`));
        });
      }),
      120_000,
      `cluster start\n${output}`,
    );
    assert.match(output, new RegExp(`authgate cluster ready: http://127\\.0\\.0\\.1:${port} `));

    const topology = JSON.parse(readFileSync(path.join(dir.dir, 'cluster', 'topology.json'), 'utf8')) as Topology;
    assert.equal(topology.url, `http://127.0.0.1:${port}`);
    assert.equal(topology.wsUrl, `ws://127.0.0.1:${port}/ws`);
    assert.deepEqual(
      topology.processes.map((p) => [p.name, p.role]),
      [
        ['nginx', 'nginx'],
        ['edge-1', 'edge'],
        ['worker-1', 'worker'],
        ['api', 'api'],
        ['mailer', 'mailer'],
      ],
    );
    assert.deepEqual(
      topology.processes.map((p) => p.url),
      [`http://127.0.0.1:${port}`, `http://127.0.0.1:${edgeBasePort}`, null, `http://127.0.0.1:${apiPort}`, null],
    );
    for (const p of topology.processes) assert.ok(alive(p.pid), `${p.name} (pid ${p.pid}) runs`);
    // The cluster CLI (docs/observability.md): metricsUrl for each process (null for nginx), printed too, and answering.
    assert.equal(topology.processes[0]!.metricsUrl, null);
    for (const p of topology.processes.slice(1)) {
      assert.match(p.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, `${p.name} metricsUrl`);
      assert.ok(output.includes(`metrics ${p.metricsUrl}`), `${p.name}'s metrics URL is printed`);
      const scraped = await fetch(p.metricsUrl!);
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /^process_cpu_seconds_total /m);
    }
    assert.ok(topology.prometheusConfig && readFileSync(topology.prometheusConfig, 'utf8').includes('job_name: authgate-edge'));

    // Through nginx: an edge answers, the api answers, and a registration goes through a worker into
    // the database the script created.
    assert.equal((await fetch(`${topology.url}/health`)).status, 200);
    assert.equal((await fetch(`${topology.url}/users/check-email?email=someone%40example.test`)).status, 200);
    const registered = await fetch(`${topology.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `cli-${randomBytes(4).toString('hex')}@example.test`, password: 'correct horse battery' }),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(registered.status, 201);

    child.kill('SIGTERM');
    assert.equal(await withTimeout(exited, 60_000, 'cluster stop'), 0);
    assert.match(output, /cluster stopped/);
    for (const p of topology.processes) assert.equal(alive(p.pid), false, `${p.name} (pid ${p.pid}) stopped`);
  } finally {
    // On a failure above: the script still stops what it started (its children outlive a SIGKILL).
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await withTimeout(exited, 60_000, 'cluster stop').catch(() => child.kill('SIGKILL'));
    }
  }
});
