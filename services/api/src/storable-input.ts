import type { FastifyInstance } from 'fastify';
import { refuseUnstorableText, storableText } from '@authgate/shared/storable-text';

/**
 * One check of every string a request brings, before any route's own validation: path parameters,
 * query string and JSON body, keys as well as values at any depth. None may hold U+0000 or an
 * unpaired surrogate: PostgreSQL text and jsonb cannot store them (shared/src/storable-text.ts), and
 * one such string in POST /events data stopped the audit writer for every account. `400
 * invalid_request`, its `details` naming each field.
 */
export function refuseUnstorableInput(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    refuseUnstorableText(request.params, 'request path');
    refuseUnstorableText(request.query, 'request query string');
    refuseUnstorableText(request.body, 'request body');
  });
}

const MAX_USER_AGENT = 512;

/** The User-Agent an audit event keeps: shown, not checked, so cut whole and cleaned rather than refused. */
export function userAgentOf(header: string | undefined): string | undefined {
  return header === undefined ? undefined : storableText(header, MAX_USER_AGENT);
}
