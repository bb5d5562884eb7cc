import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killWorker, restartPostgres, restartRedis } from './faults.ts';
import { formatTable } from './report.ts';
import { runChaos } from './runner.ts';

// The reduced chaos run of `npm test`: the cluster (nginx, 2 edges, 2 workers) on a private Redis and
// a private PostgreSQL (the machine's RabbitMQ, in a namespace of its own), clients that reconnect and
// re-send as real ones do, and three faults in turn. `npm run test:chaos` is the full run.
test('under a worker SIGKILL, a Redis restart and a PostgreSQL restart no request is lost or answered twice', { timeout: 600_000 }, async () => {
  const reports = await runChaos({
    faults: [killWorker, restartRedis, restartPostgres],
    backends: { redis: true, rabbitmq: false, postgres: true },
    users: 12,
    thinkMs: 100,
    minRequestsPerFault: 200,
    warmupMs: 2_000,
    downMs: 2_000,
    tailMs: 6_000,
    maxPhaseMs: 120_000,
    requestTimeoutMs: 10_000,
    marginMs: 5_000,
  });
  // Recovery times are printed, never asserted: the machine is shared and its speed varies.
  console.log(`\n${formatTable(reports)}\n`);
  assert.equal(reports.length, 3);
  for (const report of reports) {
    assert.ok(report.sent >= 200, `${report.fault}: only ${report.sent} requests sent`);
    assert.equal(report.lost, 0, `${report.fault}: ${report.lost} requests lost (${JSON.stringify(report.lostReasons)})`);
    assert.equal(report.duplicated, 0, `${report.fault}: ${report.duplicateAnswers} answered twice, ${report.duplicateRows} duplicate user rows`);
    assert.deepEqual(report.crashed, [], `${report.fault}: processes exited by themselves`);
    assert.equal(report.rowsWithoutAnswer, 0, `${report.fault}: ${report.rowsWithoutAnswer} users created without their client ever being told`);
    // Every request ended in its success or an explicit error of docs/errors.md.
    const errors = Object.values(report.errors).reduce((a, b) => a + b, 0);
    assert.equal(report.succeeded + report.dupSafe + errors, report.sent);
    // Every audit event the broker accepted is stored once, through the kill and the restarts.
    assert.ok(report.audit.emitted > 0, `${report.fault}: no audit events emitted`);
    assert.equal(report.audit.missing, 0, `${report.fault}: ${report.audit.missing} of ${report.audit.emitted} audit events not stored`);
    assert.equal(report.audit.duplicateRows, 0, `${report.fault}: audit events stored twice`);
    for (const code of Object.keys(report.errors)) assert.ok(['overloaded', 'timeout'].includes(code), `${report.fault}: unexpected error ${code}`);
  }
});
