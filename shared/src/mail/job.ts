import { z } from 'zod';
import { PASSKEY_MAIL_KINDS } from '@authgate/features/passkeys/contract';

/** What the mailer can send. Each kind has its own `data`; only the first three carry a secret. */
export const MAIL_KINDS = [
  'verify_email',
  'password_reset',
  'device_code',
  'password_changed',
  'new_sign_in',
  'refresh_reuse',
  'mfa_enabled',
  'mfa_disabled',
  ...PASSKEY_MAIL_KINDS,
] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

/** An email token as the email flows issue it: ≥ 256 random bits, base64url (43 characters or more). */
const linkToken = z.string().regex(/^[A-Za-z0-9_-]{43,256}$/, 'must be a base64url token of at least 256 bits');
const code = z.string().regex(/^[0-9]{6,10}$/, 'must be 6-10 digits');
/** Where and from what an action came, shown to the user in security notices. Free text: escaped when rendered. */
const origin = {
  ip: z.string().min(1).max(64).optional(),
  userAgent: z.string().max(512).optional(),
  at: z.iso.datetime(),
};

const common = {
  v: z.literal(1),
  id: z.uuid(),
  to: z.email().max(254),
  createdAt: z.iso.datetime(),
  /**
   * After this the mail is useless (its link or code has expired): the mailer sets it aside rather
   * than send it. Set by the producer from the token's lifetime; absent means "never".
   */
  expiresAt: z.iso.datetime().optional(),
};

export const mailJobSchema = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('verify_email'), data: z.object({ token: linkToken }) }),
  z.object({ ...common, kind: z.literal('password_reset'), data: z.object({ token: linkToken }) }),
  z.object({ ...common, kind: z.literal('device_code'), data: z.object({ code, ...origin, expiresInMinutes: z.number().int().min(1).max(1440) }) }),
  z.object({ ...common, kind: z.literal('password_changed'), data: z.object(origin) }),
  z.object({ ...common, kind: z.literal('new_sign_in'), data: z.object(origin) }),
  z.object({ ...common, kind: z.literal('refresh_reuse'), data: z.object(origin) }),
  z.object({ ...common, kind: z.literal('mfa_enabled'), data: z.object(origin) }),
  /** `by`: the owner (with both factors) or an administrator (the way back for a lost authenticator). */
  z.object({ ...common, kind: z.literal('mfa_disabled'), data: z.object({ ...origin, by: z.enum(['owner', 'administrator']).optional() }) }),
  z.object({ ...common, kind: z.literal('passkey_registered'), data: z.object(origin) }),
  z.object({ ...common, kind: z.literal('passkey_removed'), data: z.object(origin) }),
]);

export type MailJob = z.infer<typeof mailJobSchema>;
export type MailJobOf<K extends MailKind> = Extract<MailJob, { kind: K }>;

/** Why a job left the lane without being sent. */
export type SetAsideReason = 'smtp_rejected' | 'expired' | 'invalid' | 'render_failed' | 'delivery_limit';

/**
 * What the set-aside lane keeps of a job: which mail, why, after how many tries. Never `to`-side
 * content: no link, token or code (the job's `data`), so an operator can look without seeing secrets.
 */
export interface DeadMail {
  id: string;
  kind: MailKind | 'unknown';
  reason: SetAsideReason;
  /** For `smtp_rejected`: the server's reply code (550...). */
  responseCode?: number;
  attempts: number;
  at: string;
}

/** The redacted copy of anything that arrived as a job (it may be malformed). */
export function deadMailOf(job: unknown, reason: SetAsideReason, attempts: number, responseCode?: number): DeadMail {
  const j = (typeof job === 'object' && job !== null ? job : {}) as { id?: unknown; kind?: unknown };
  const id = typeof j.id === 'string' && z.uuid().safeParse(j.id).success ? j.id : 'unknown';
  const kind = (MAIL_KINDS as readonly unknown[]).includes(j.kind) ? (j.kind as MailKind) : 'unknown';
  return { id, kind, reason, ...(responseCode === undefined ? {} : { responseCode }), attempts, at: new Date().toISOString() };
}
