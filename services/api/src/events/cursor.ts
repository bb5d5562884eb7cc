import { AppError } from '@authgate/shared/errors';

/** Where a page ended: the (at, id) of its last event, newest-first order. */
export interface Cursor {
  at: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: base64url of `<ISO instant>|<event id>`. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.at}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined;
  const [at, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !at || !id || !UUID.test(id) || Number.isNaN(Date.parse(at)) || !at.endsWith('Z')) {
    throw new AppError('invalid_request', 'request querystring is invalid', { details: [{ path: 'before', message: 'is not a cursor this API gave out' }] });
  }
  return { at, id };
}
