import type { AuditReport } from './audit-tap.ts';
import type { Ledger } from './client/ledger.ts';

/** What one fault did to the requests sent around it. */
export interface PhaseReport {
  fault: string;
  sent: number;
  /** Answered with their success (`collected` of them from the result store after a reconnect). */
  succeeded: number;
  collected: number;
  /** Requests sent more than once because their connection dropped. */
  resent: number;
  /** Re-sent registrations answered email_taken for the user their first attempt created. */
  dupSafe: number;
  /** Explicit errors of docs/errors.md, by code. */
  errors: Record<string, number>;
  /** No answer within the deadline + margin, by reason. */
  lost: number;
  lostReasons: Record<string, number>;
  /** Answered twice on one connection, plus emails with more than one user row. */
  duplicated: number;
  duplicateAnswers: number;
  duplicateRows: number;
  /** User rows whose registration no client was ever told of (201 or duplicate-safe email_taken). */
  rowsWithoutAnswer: number;
  /** From the fault's start until it was over (the dependency accepted connections again). */
  outageS: number;
  /** From the fault's start until the success rate was back to 100% (0: it never dropped). */
  recoveryS: number;
  /** Of that, after the dependency was back. */
  recoveryAfterBackS: number;
  slowestMs: number;
  /** Cluster processes that exited by themselves during the phase (not the one the fault killed). */
  crashed: string[];
  /** Audit events the broker accepted during the phase against the rows the writers stored. */
  audit: AuditReport;
}

export function summarize(
  fault: string,
  ledger: Ledger,
  faultAt: number,
  backAt: number,
  rows: { duplicateRows: number; rowsWithoutAnswer: number },
): Omit<PhaseReport, 'crashed' | 'audit'> {
  const ops = ledger.ops;
  const count = (pick: (code: string) => boolean, of: 'error' | 'lost') => {
    const out: Record<string, number> = {};
    for (const op of ops) if (op.outcome === of && pick(op.code ?? '')) out[op.code ?? '?'] = (out[op.code ?? '?'] ?? 0) + 1;
    return out;
  };
  const bad = ops.filter((op) => op.outcome === 'error' || op.outcome === 'lost');
  let recoveredAt = faultAt;
  if (bad.length > 0) {
    const lastBad = Math.max(...bad.map((op) => op.sentAt));
    const after = ops.filter((op) => op.sentAt > lastBad).map((op) => op.sentAt);
    recoveredAt = after.length > 0 ? Math.min(...after) : lastBad;
  }
  const recoveryS = Math.max(0, recoveredAt - faultAt) / 1000;
  return {
    fault,
    sent: ops.length,
    succeeded: ops.filter((op) => op.outcome === 'ok').length,
    collected: ops.filter((op) => op.collected).length,
    resent: ops.filter((op) => op.sends > 1).length,
    dupSafe: ops.filter((op) => op.outcome === 'dup_safe').length,
    errors: count(() => true, 'error'),
    lost: ops.filter((op) => op.outcome === 'lost').length,
    lostReasons: count(() => true, 'lost'),
    duplicated: ledger.duplicateAnswers.length + rows.duplicateRows,
    duplicateAnswers: ledger.duplicateAnswers.length,
    duplicateRows: rows.duplicateRows,
    rowsWithoutAnswer: rows.rowsWithoutAnswer,
    outageS: (backAt - faultAt) / 1000,
    recoveryS,
    recoveryAfterBackS: Math.max(0, recoveredAt - backAt) / 1000,
    slowestMs: ops.reduce((max, op) => Math.max(max, op.endedAt - op.sentAt), 0),
  };
}

const codes = (byCode: Record<string, number>) =>
  Object.entries(byCode)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ') || '-';

/** A Markdown table, one row per fault. */
export function formatTable(reports: PhaseReport[]): string {
  const head = [
    'fault',
    'sent',
    'succeeded',
    'dup-safe',
    'explicit errors',
    'lost',
    'duplicated',
    'outage s',
    'recovery s',
    'after back s',
    'slowest s',
    'collected / re-sent',
    'rows w/o answer',
    'crashed',
    'audit emitted / stored / missing / dup rows',
  ];
  const rows = reports.map((r) => [
    r.fault,
    String(r.sent),
    String(r.succeeded),
    String(r.dupSafe),
    codes(r.errors),
    r.lost === 0 ? '0' : `${r.lost} (${codes(r.lostReasons)})`,
    r.duplicated === 0 ? '0' : `${r.duplicated} (answers ${r.duplicateAnswers}, rows ${r.duplicateRows})`,
    r.outageS.toFixed(1),
    r.recoveryS.toFixed(1),
    r.recoveryAfterBackS.toFixed(1),
    (r.slowestMs / 1000).toFixed(1),
    `${r.collected} / ${r.resent}`,
    String(r.rowsWithoutAnswer),
    r.crashed.join(', ') || '-',
    `${r.audit.emitted} / ${r.audit.stored} / ${r.audit.missing} / ${r.audit.duplicateRows}`,
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
