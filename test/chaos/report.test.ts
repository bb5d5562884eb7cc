import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger, type OpRecord } from './client/ledger.ts';
import { formatTable, summarize } from './report.ts';

// The chaos run's arithmetic: what counts as lost, duplicated and recovered.

function op(sentAt: number, outcome: OpRecord['outcome'], extra: Partial<OpRecord> = {}): OpRecord {
  return { kind: 'login', sentAt, endedAt: sentAt + 50, outcome, sends: 1, collected: false, email: `u${sentAt}@example.test`, ...extra };
}

test('a phase summary counts outcomes by kind and code, and recovery from the fault to the all-success tail', () => {
  const ledger = new Ledger();
  const faultAt = 10_000;
  const backAt = 13_000;
  ledger.record(op(9_000, 'ok'));
  ledger.record(op(10_500, 'error', { code: 'overloaded' }));
  ledger.record(op(11_000, 'ok', { sends: 2, collected: true }));
  ledger.record(op(12_000, 'lost', { code: 'no_answer', endedAt: 27_000 }));
  ledger.record(op(13_500, 'error', { code: 'overloaded' }));
  ledger.record(op(14_200, 'ok'));
  ledger.record(op(15_000, 'dup_safe', { kind: 'register', sends: 2 }));
  ledger.duplicate('u1-1');

  const report = summarize('test fault', ledger, faultAt, backAt, { duplicateRows: 2, rowsWithoutAnswer: 1 });
  assert.equal(report.sent, 7);
  assert.equal(report.succeeded, 3);
  assert.equal(report.dupSafe, 1);
  assert.deepEqual(report.errors, { overloaded: 2 });
  assert.equal(report.lost, 1);
  assert.deepEqual(report.lostReasons, { no_answer: 1 });
  assert.equal(report.duplicated, 3, 'one answer twice and two extra rows');
  assert.equal(report.collected, 1);
  assert.equal(report.resent, 2);
  assert.equal(report.outageS, 3);
  // The last failure was sent at 13.5 s; from the next request on (14.2 s) everything succeeded.
  assert.equal(report.recoveryS, 4.2);
  assert.equal(report.recoveryAfterBackS, 1.2);
  assert.equal(report.slowestMs, 15_000);

  const audit = {
    emitted: 40,
    published: 41,
    stored: 39,
    missing: 1,
    duplicateRows: 0,
    settleS: 2.5,
    writers: { failedBatches: 0, redelivered: 0, duplicatesSkipped: 0 },
  };
  const table = formatTable([{ ...report, crashed: ['worker-2'], audit }]);
  assert.match(
    table,
    /\| test fault \| 7 \| 3 \| 1 \| overloaded 2 \| 1 \(no_answer 1\) \| 3 \(answers 1, rows 2\) \| 3\.0 \| 4\.2 \| 1\.2 \| 15\.0 \| 1 \/ 2 \| 1 \| worker-2 \| 40 \/ 39 \/ 1 \/ 0 \|/,
  );
});

test('a phase where nothing failed recovered at once', () => {
  const ledger = new Ledger();
  for (let t = 0; t < 10; t++) ledger.record(op(1_000 * t, 'ok'));
  const report = summarize('calm', ledger, 5_000, 5_000, { duplicateRows: 0, rowsWithoutAnswer: 0 });
  assert.equal(report.recoveryS, 0);
  assert.equal(report.lost, 0);
  assert.equal(report.duplicated, 0);
});
