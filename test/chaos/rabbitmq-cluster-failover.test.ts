import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killRabbitMQNode } from './faults.ts';
import { formatTable } from './report.ts';
import { runChaos } from './runner.ts';

// The cluster (nginx, 2 edges, 2 workers) on three private RabbitMQ nodes in one RabbitMQ cluster,
// every process given all three (AMQP_URL) and the lanes declared as quorum queues; the machine's Redis
// and PostgreSQL in a namespace and database of their own. The node every process connected to first
// is SIGKILLed mid-traffic: connections move to the next node, the quorum queues elect new leaders,
// and no request is lost or answered twice.
test('a RabbitMQ node of three killed during logins and WebSocket traffic: quorum queues carry on, nothing lost or answered twice', {
  timeout: 900_000,
}, async () => {
  const [report] = await runChaos({
    faults: [killRabbitMQNode],
    backends: { redis: false, rabbitmq: false, rabbitmqCluster: true, postgres: false },
    users: 12,
    thinkMs: 100,
    minRequestsPerFault: 200,
    warmupMs: 2_000,
    downMs: 0,
    tailMs: 8_000,
    maxPhaseMs: 180_000,
    requestTimeoutMs: 10_000,
    marginMs: 5_000,
    env: { QUEUE_TYPE: 'quorum', QUEUE_DELIVERY_LIMIT: '3' },
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
