import type { Result } from '@authgate/shared/protocol';
import type { ResultTarget } from '../relay.ts';
import type { HttpResponse } from '../uws.ts';
import { errorReply, json, send, type Reply } from './respond.ts';

export type AbortState = { aborted: boolean };

/** An HTTP response waiting on this node: answers once, corked (after an await), if the client is still there. */
export class HttpTarget implements ResultTarget {
  constructor(
    private readonly res: HttpResponse,
    private readonly state: AbortState,
  ) {}

  deliver(result: Result): void {
    if (this.state.aborted) return;
    const reply = httpReply(result);
    this.res.cork(() => send(this.res, reply));
  }
}

export function httpReply(result: Result): Reply {
  if (result.ok) return result.data === undefined ? { status: result.status } : json(result.status, result.data);
  return errorReply({ ...result.error, requestId: result.requestId }, result.status);
}
