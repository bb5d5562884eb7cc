import type { ResultFrame } from '@authgate/shared/client/socket-client';
import { EXPECTED_STATUS, type Answer, type Operation } from './journeys.ts';
import type { Outcome } from './metrics/recorder.ts';

const CODE = /^[a-z0-9_]{1,64}$/;

/** The error code a failed answer carries (docs/errors.md: `error.code`), else one named after its status. */
function codeOf(status: number, error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && CODE.test(code)) return code;
  return status >= 200 && status < 300 ? `unexpected_status_${status}` : `http_${status}`;
}

/** A REST answer: success only with the operation's own status; the body is parsed only when needed. */
export function restOutcome(op: Operation, status: number, body: string): { outcome: Outcome; answer: Answer } {
  const ok = status === EXPECTED_STATUS[op];
  const needsBody = !ok || op === 'login' || op === 'refresh';
  let data: unknown;
  if (needsBody && body) {
    try {
      data = JSON.parse(body);
    } catch {
      data = undefined;
    }
  }
  const outcome: Outcome = ok ? { ok: true } : { ok: false, code: codeOf(status, (data as { error?: unknown } | undefined)?.error) };
  return { outcome, answer: { ok, status, data } };
}

/** A WebSocket `result` frame, judged as its REST twin would be. */
export function frameOutcome(op: Operation, frame: ResultFrame): { outcome: Outcome; answer: Answer } {
  const ok = frame.ok && frame.status === EXPECTED_STATUS[op];
  const outcome: Outcome = ok ? { ok: true } : { ok: false, code: codeOf(frame.status, frame.error) };
  return { outcome, answer: { ok, status: frame.status, data: frame.data } };
}

/** Failures of the client's own: no answer came at all. */
export const CLIENT_CODES = {
  /** No answer within the client's request timeout. */
  timeout: 'client_timeout',
  /** The connection closed before the answer came. */
  closed: 'connection_closed',
  /** The connection could not be opened (refused, reset, or no `welcome`). */
  connect: 'connection_error',
  /** autocannon moved on without an answer (it timed the request out or lost the connection). */
  noAnswer: 'no_answer',
} as const;
