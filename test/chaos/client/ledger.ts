export type OpKind = 'register' | 'login' | 'refresh';

/**
 * One logical request of a chaos client and how it ended. A request whose connection dropped is
 * collected from the result store or sent again on a new connection: still one request here.
 */
export interface OpRecord {
  kind: OpKind;
  /** When it was first sent. */
  sentAt: number;
  endedAt: number;
  /**
   * ok: its success; dup_safe: a re-sent registration answered email_taken for the user an earlier
   * attempt created; error: an explicit error of docs/errors.md; lost: no answer within the deadline + margin.
   */
  outcome: 'ok' | 'dup_safe' | 'error' | 'lost';
  /** The error code, or why it counts as lost (no_answer, no_connection, gave_up). */
  code?: string;
  /** How many times it was sent (1 unless its connection dropped before the answer). */
  sends: number;
  /** Answered from the result store (GET /auth/results/<client id>) after a reconnect. */
  collected: boolean;
  email: string;
}

/** Everything the chaos clients saw, in order: the runner cuts it into phases by time. */
export class Ledger {
  readonly ops: OpRecord[] = [];
  /** Result frames for a request id that had been answered already on that connection. */
  readonly duplicateAnswers: { at: number; id: string }[] = [];
  /** Registrations that were answered 201, by email (lower case): a row without one was never told. */
  readonly registered = new Set<string>();
  readonly emails = new Set<string>();
  inFlight = 0;

  record(op: OpRecord): void {
    this.ops.push(op);
    if (op.kind === 'register' && (op.outcome === 'ok' || op.outcome === 'dup_safe')) this.registered.add(op.email.toLowerCase());
  }

  duplicate(id: string): void {
    this.duplicateAnswers.push({ at: Date.now(), id });
  }
}
