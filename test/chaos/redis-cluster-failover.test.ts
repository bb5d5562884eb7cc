import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killRedisMaster } from './faults.ts';
import { formatTable } from './report.ts';
import { runChaos } from './runner.ts';

// The cluster (nginx, 2 edges, 2 workers) on a private Redis Cluster of 3 masters and 3 replicas
// (the machine's RabbitMQ and PostgreSQL, in a namespace and database of their own), clients logging
// in, refreshing and registering over WebSocket and REST, and the master owning edge-1's node channel
// killed mid-traffic: its replica takes over, and no request is lost or answered twice.
test('a Redis Cluster master killed during logins and WebSocket traffic: its replica takes over, nothing lost or answered twice', {
  timeout: 600_000,
}, async () => {
  const [report] = await runChaos({
    faults: [killRedisMaster],
    backends: { redis: false, redisCluster: true, rabbitmq: false, postgres: false },
    users: 12,
    thinkMs: 100,
    minRequestsPerFault: 200,
    warmupMs: 2_000,
    downMs: 0,
    tailMs: 6_000,
    maxPhaseMs: 120_000,
    requestTimeoutMs: 10_000,
    marginMs: 5_000,
  });
  // Recovery time is printed, never asserted: the machine is shared and its speed varies.
  console.log(`\n${formatTable([report!])}\n`);
  assert.ok(report!.sent >= 200, `only ${report!.sent} requests sent`);
  assert.equal(report!.lost, 0, `${report!.lost} requests lost (${JSON.stringify(report!.lostReasons)})`);
  assert.equal(report!.duplicated, 0, `${report!.duplicateAnswers} answered twice, ${report!.duplicateRows} duplicate user rows`);
  assert.deepEqual(report!.crashed, [], 'processes exited by themselves');
  assert.equal(report!.rowsWithoutAnswer, 0, `${report!.rowsWithoutAnswer} users created without their client ever being told`);
  const errors = Object.values(report!.errors).reduce((a, b) => a + b, 0);
  assert.equal(report!.succeeded + report!.dupSafe + errors, report!.sent);
  for (const code of Object.keys(report!.errors)) assert.ok(['overloaded', 'timeout'].includes(code), `unexpected error ${code}`);
});
