import { z } from 'zod';
import { v7 as uuidv7 } from 'uuid';
import { FEATURE_AUDIT_EVENTS } from '@authgate/features/list';

/**
 * The audit event types of the contract (docs/rest.md, GET /auth/events): each feature's
 * (features/<name>/contract.ts, in the list's order), then the account's and the mailer's.
 * Applications add their own as `app.<name>`.
 */
export const AUTH_EVENT_TYPES = [
  ...FEATURE_AUDIT_EVENTS,
  'account.disabled',
  'account.enabled',
  /** A mail the mailer gave up on for good (SMTP 5xx, expired, invalid): which one and why, never its contents. */
  'mail.set_aside',
] as const;
export type AuthEventType = (typeof AUTH_EVENT_TYPES)[number];

/** `app.` then 1-64 characters of a-z, 0-9, `_`, `-`, `.`: a name an analytics table can group by. */
export const APP_EVENT_TYPE = /^app\.[a-z0-9][a-z0-9_.-]{0,63}$/;
export const appEventType = z.string().regex(APP_EVENT_TYPE, 'must be app.<name>: a-z, 0-9, _, - and . (at most 64 after app.)');
export const eventType = z.union([z.enum(AUTH_EVENT_TYPES), appEventType]);
export type EventType = z.infer<typeof eventType>;

/** The JSON text of `data` is at most this many bytes (UTF-8): an event is a fact, not a payload. */
export const MAX_EVENT_DATA_BYTES = 4096;

/** Field names that say they hold a credential; an event never carries one (docs/rest.md). */
const SECRET_KEY = /(?:^codes?$|[_-]codes?$|password|passwd|secret|token|hash|authorization|cookie|pepper|private_?key|api_?key|^t?otp$|recovery)/i;
/** Shapes of the credentials authgate issues or stores, wherever they appear in a value. */
const SECRET_VALUE = [
  /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/, // a JWT
  /\brt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}/, // a refresh token
  /\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/, // a bcrypt hash
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/, // a PEM private key
];

/** Where in `data` a credential-looking key or value sits, or undefined when there is none. */
export function secretPathIn(value: unknown, path = 'data', depth = 0): string | undefined {
  if (depth > 16) return path;
  if (typeof value === 'string') return SECRET_VALUE.some((shape) => shape.test(value)) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = secretPathIn(item, `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) return `${path}.${key}`;
      const found = secretPathIn(item, `${path}.${key}`, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

export const eventDataSchema = z.record(z.string(), z.json()).superRefine((data, ctx) => {
  const bytes = Buffer.byteLength(JSON.stringify(data));
  if (bytes > MAX_EVENT_DATA_BYTES) ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_EVENT_DATA_BYTES} bytes of JSON (got ${bytes})` });
  const secret = secretPathIn(data);
  // The check: no password, token, code or secret is ever kept in an event (by name or by shape).
  if (secret) ctx.addIssue({ code: 'custom', message: `${secret} looks like a credential; events never hold one` });
});

export const auditEventSchema = z.object({
  id: z.uuid(),
  type: eventType,
  /** ISO 8601 instant with its offset; stored as timestamptz (the partition key). */
  at: z.iso.datetime({ offset: true }),
  userId: z.uuid().optional(),
  sessionId: z.uuid().optional(),
  deviceId: z.string().min(1).max(128).optional(),
  ip: z.string().max(64).optional(),
  userAgent: z.string().max(512).optional(),
  data: eventDataSchema,
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export type NewAuditEvent = Omit<AuditEvent, 'id' | 'at' | 'data'> & { id?: string; at?: Date | string; data?: AuditEvent['data'] };

/**
 * An event ready to publish: a UUIDv7 id (time-ordered, so the primary key index grows at its end)
 * and `at` now, unless given. Throws a ZodError for an event that breaks the schema.
 */
export function newAuditEvent(input: NewAuditEvent): AuditEvent {
  const at = input.at === undefined ? new Date() : new Date(input.at);
  return auditEventSchema.parse({ ...input, id: input.id ?? uuidv7({ msecs: at.getTime() }), at: at.toISOString(), data: input.data ?? {} });
}
