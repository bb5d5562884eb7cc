import type { AuditEvent } from '@authgate/shared/events/schema';
import type { AuditStore } from './store.ts';

/**
 * SQLSTATE class 22, "data exception": PostgreSQL refused the rows themselves (U+0000 in text or
 * jsonb, an unpaired surrogate in jsonb, a value out of range). Inserting the same rows again fails
 * the same way, whenever it is tried. Every other failure (a connection lost, the server restarting,
 * the table away) says nothing about the rows: the batch is tried again whole.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

export interface RefusedEvent {
  event: AuditEvent;
  /** PostgreSQL's SQLSTATE for it: what was wrong, never the value. */
  code: string;
}

export interface SplitInsertOutcome {
  /** Rows new in the table. */
  stored: number;
  /** Events PostgreSQL cannot store, each alone in the INSERT that refused it. */
  refused: RefusedEvent[];
  /** INSERTs refused for their data on the way (the batch's own included). */
  splits: number;
}

/**
 * Stores a batch in one INSERT; when PostgreSQL refuses it for its data, bisects it (each half on its
 * own, recursively) until every refused event stands alone, so that one bad event costs
 * about 2·log2(batch) INSERTs and every other event of its batch is stored. Any failure that is not
 * about the data is thrown as it comes, whatever was stored before it: the caller puts the whole batch
 * back, and on its redelivery the rows already stored are skipped by their (id, at) key.
 */
export async function insertSplitting(store: AuditStore, events: readonly AuditEvent[]): Promise<SplitInsertOutcome> {
  try {
    return { stored: await store.insert(events), refused: [], splits: 0 };
  } catch (err) {
    if (!isDataError(err)) throw err;
    if (events.length === 1) return { stored: 0, refused: [{ event: events[0]!, code: (err as { code: string }).code }], splits: 0 };
    const half = Math.ceil(events.length / 2);
    const first = await insertSplitting(store, events.slice(0, half));
    const second = await insertSplitting(store, events.slice(half));
    return { stored: first.stored + second.stored, refused: [...first.refused, ...second.refused], splits: 1 + first.splits + second.splits };
  }
}
