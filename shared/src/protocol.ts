import { z } from 'zod';
import { challengeAnswerSchema } from '@authgate/features/stuffing/contract';
import { PASSKEY_KINDS, PASSKEY_SESSION_KINDS, passkeyBodySchemas } from '@authgate/features/passkeys/contract';
import type { FieldIssue } from './errors.ts';

/**
 * The wire contract (docs/rest.md, docs/websocket.md, docs/messages.md) as zod schemas: request bodies, WebSocket frames, the commands edges
 * publish to the queue and the results workers publish back. Every service validates with these.
 */

export const BCRYPT_MAX_BYTES = 72;

/** RFC 5321 §4.5.3.1: at most 254 characters in all, and at most 64 before the `@`. */
const MAX_LOCAL_PART = 64;
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(
    z
      .email({ message: 'must be an email address' })
      .refine((email) => email.lastIndexOf('@') <= MAX_LOCAL_PART, `must have at most ${MAX_LOCAL_PART} characters before the @`),
  );
/** Login accepts any password length up to a sane bound; policy (min length, 72 bytes) is enforced at registration. */
const passwordSchema = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
/**
 * Any string: a token's form is checked where the token is (the verifier, the worker), so that a
 * malformed one is `invalid_token` like any other bad token, never `invalid_request` (docs/errors.md).
 * Its length is bounded by the body and frame limits.
 */
const tokenSchema = z.string();

export const registerBody = z.object({ email: emailSchema, password: passwordSchema });
/** Chosen by the client, stable per browser or app install (docs/rest.md, login). */
const deviceIdSchema = z.string().min(1).max(128);
export const loginBody = z.object({
  email: emailSchema,
  password: passwordSchema,
  deviceId: deviceIdSchema.optional(),
  /** A solved proof of work, while the deployment is under credential stuffing (features/stuffing). */
  challenge: challengeAnswerSchema.optional(),
});
/** `deviceId`: for a session signed in with one, the grace window for concurrent refreshes answers only that device. */
export const refreshBody = z.object({ refreshToken: tokenSchema, deviceId: deviceIdSchema.optional() });
export const logoutBody = z.object({ refreshToken: tokenSchema });
export const verifyBody = z.object({ accessToken: tokenSchema });

export const sessionsListBody = z.object({});
export const sessionRevokeBody = z.object({ sessionId: z.uuid({ message: 'must be a session id' }) });
export const sessionsRevokeOthersBody = z.object({});
export const authenticateBody = z.object({ accessToken: tokenSchema });

/**
 * The handle of a sign-in waiting for its new device's approval (docs/rest.md, "New devices"). Any
 * string within bounds: one that names no waiting sign-in is `not_found`, like an expired one.
 */
const verificationIdSchema = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
export const deviceDecisionBody = z.object({ verificationId: verificationIdSchema });
/**
 * What only the waiting client holds: the `completeToken` of its `device_verification_required`
 * answer. Required to finish, but optional here: one missing, like a wrong one, is answered as an
 * unknown verification (`not_found`), so no answer tells whether a verification exists.
 */
const completeTokenSchema = z
  .string()
  .max(128, 'must be at most 128 characters')
  .describe('required: the completeToken of the device_verification_required answer; missing or wrong, 404 not_found');
/** The emailed code: any string within bounds, so that a malformed one costs a try like a wrong one. */
export const deviceVerifyBody = z.object({
  verificationId: verificationIdSchema,
  completeToken: completeTokenSchema.optional(),
  code: z.string().max(32, 'must be at most 32 characters'),
});
export const deviceCompleteBody = z.object({ verificationId: verificationIdSchema, completeToken: completeTokenSchema.optional() });
/** Email and password flows (docs/rest.md): the tokens are the ones mailed by the worker. */
export const emailVerifyBody = z.object({ token: tokenSchema });
export const emailResendBody = z.object({});
export const passwordForgotBody = z.object({ email: emailSchema });
export const passwordResetBody = z.object({ token: tokenSchema, password: passwordSchema });
export const passwordChangeBody = z.object({ currentPassword: passwordSchema, newPassword: passwordSchema });
/**
 * A second-factor code as sent: any short string. Its form (six digits, or a recovery code) is the
 * worker's check, so that a malformed code is `invalid_code` like any other wrong one.
 */
const codeSchema = z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters');
/** `password`: the current one, so that a stolen access token alone cannot turn TOTP on and lock the owner out. */
export const mfaTotpSetupBody = z.object({ password: passwordSchema });
export const mfaTotpConfirmBody = z.object({ code: codeSchema });
/** `code`: a TOTP code or a recovery code. */
export const mfaTotpDisableBody = z.object({ password: passwordSchema, code: codeSchema });
const mfaVerifyFields = z.object({ mfaToken: tokenSchema, code: codeSchema.optional(), recoveryCode: codeSchema.optional() });
/** `{mfaToken, code}` or `{mfaToken, recoveryCode}`: exactly one of the two answers. */
export const mfaVerifyBody = mfaVerifyFields.refine((body) => (body.code === undefined) !== (body.recoveryCode === undefined), {
  message: 'give exactly one of code and recoveryCode',
  path: ['code'],
});

export type RegisterBody = z.infer<typeof registerBody>;
export type LoginBody = z.infer<typeof loginBody>;
export type RefreshBody = z.infer<typeof refreshBody>;
export type LogoutBody = z.infer<typeof logoutBody>;

/** Commands that go through the queue to a worker. `verify` never does: edges check tokens themselves. */
export const COMMAND_KINDS = [
  'register',
  'login',
  'refresh',
  'logout',
  'sessions_list',
  'session_revoke',
  'sessions_revoke_others',
  'device_approve',
  'device_deny',
  'device_verify',
  'device_complete',
  'email_verify',
  'email_resend',
  'password_forgot',
  'password_reset',
  'password_change',
  'mfa_totp_setup',
  'mfa_totp_confirm',
  'mfa_totp_disable',
  'mfa_verify',
  ...PASSKEY_KINDS,
] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/**
 * Commands on behalf of a signed-in session: the edge verifies the access token (REST Bearer, or the
 * session a WebSocket is authenticated as) and puts its subject and session in the command's `auth`.
 */
export const SESSION_KINDS: ReadonlySet<CommandKind> = new Set([
  'sessions_list',
  'session_revoke',
  'sessions_revoke_others',
  'device_approve',
  'device_deny',
  'email_resend',
  'password_change',
  'mfa_totp_setup',
  'mfa_totp_confirm',
  'mfa_totp_disable',
  ...PASSKEY_SESSION_KINDS,
]);

/**
 * Commands the edge answers itself (202) as soon as they pass admission, without waiting for the
 * queue or the worker: `password_forgot`, whose answer must not tell whether the address has an
 * account, in body, status or time. Whatever the worker then does (look the address up, queue a mail
 * or not) happens after the answer has gone.
 */
export const ACCEPTED_AT_EDGE: ReadonlySet<CommandKind> = new Set(['password_forgot']);

export const bodySchemas = {
  register: registerBody,
  login: loginBody,
  refresh: refreshBody,
  logout: logoutBody,
  sessions_list: sessionsListBody,
  session_revoke: sessionRevokeBody,
  sessions_revoke_others: sessionsRevokeOthersBody,
  device_approve: deviceDecisionBody,
  device_deny: deviceDecisionBody,
  device_verify: deviceVerifyBody,
  device_complete: deviceCompleteBody,
  email_verify: emailVerifyBody,
  email_resend: emailResendBody,
  password_forgot: passwordForgotBody,
  password_reset: passwordResetBody,
  password_change: passwordChangeBody,
  mfa_totp_setup: mfaTotpSetupBody,
  mfa_totp_confirm: mfaTotpConfirmBody,
  mfa_totp_disable: mfaTotpDisableBody,
  mfa_verify: mfaVerifyBody,
  ...passkeyBodySchemas,
} as const;

/** Commands that cost a bcrypt hash go to their own queue so cheap ones never wait behind them. */
export const PASSWORD_KINDS: ReadonlySet<CommandKind> = new Set([
  'register',
  'login',
  'password_reset',
  'password_change',
  'mfa_totp_setup',
  'mfa_totp_disable',
]);

/** The hard cap of a client's request id; CLIENT_ID_MAX_LENGTH (at most this) is checked at the edge. */
export const CLIENT_ID_HARD_MAX = 128;
const clientId = z.string().min(1).max(CLIENT_ID_HARD_MAX);

export const clientFrame = z.discriminatedUnion('type', [
  registerBody.extend({ type: z.literal('register'), id: clientId }),
  loginBody.extend({ type: z.literal('login'), id: clientId }),
  refreshBody.extend({ type: z.literal('refresh'), id: clientId }),
  logoutBody.extend({ type: z.literal('logout'), id: clientId }),
  verifyBody.extend({ type: z.literal('verify'), id: clientId }),
  authenticateBody.extend({ type: z.literal('authenticate'), id: clientId }),
  sessionsListBody.extend({ type: z.literal('sessions_list'), id: clientId }),
  sessionRevokeBody.extend({ type: z.literal('session_revoke'), id: clientId }),
  sessionsRevokeOthersBody.extend({ type: z.literal('sessions_revoke_others'), id: clientId }),
  deviceDecisionBody.extend({ type: z.literal('device_approve'), id: clientId }),
  deviceDecisionBody.extend({ type: z.literal('device_deny'), id: clientId }),
  deviceVerifyBody.extend({ type: z.literal('device_verify'), id: clientId }),
  deviceCompleteBody.extend({ type: z.literal('device_complete'), id: clientId }),
  emailVerifyBody.extend({ type: z.literal('email_verify'), id: clientId }),
  emailResendBody.extend({ type: z.literal('email_resend'), id: clientId }),
  passwordForgotBody.extend({ type: z.literal('password_forgot'), id: clientId }),
  passwordResetBody.extend({ type: z.literal('password_reset'), id: clientId }),
  passwordChangeBody.extend({ type: z.literal('password_change'), id: clientId }),
  mfaTotpSetupBody.extend({ type: z.literal('mfa_totp_setup'), id: clientId }),
  mfaTotpConfirmBody.extend({ type: z.literal('mfa_totp_confirm'), id: clientId }),
  mfaTotpDisableBody.extend({ type: z.literal('mfa_totp_disable'), id: clientId }),
  mfaVerifyFields.extend({ type: z.literal('mfa_verify'), id: clientId }),
  passkeyBodySchemas.passkey_register_options.extend({ type: z.literal('passkey_register_options'), id: clientId }),
  passkeyBodySchemas.passkey_register.extend({ type: z.literal('passkey_register'), id: clientId }),
  passkeyBodySchemas.passkeys_list.extend({ type: z.literal('passkeys_list'), id: clientId }),
  passkeyBodySchemas.passkey_delete.extend({ type: z.literal('passkey_delete'), id: clientId }),
  passkeyBodySchemas.passkey_login_options.extend({ type: z.literal('passkey_login_options'), id: clientId }),
  passkeyBodySchemas.passkey_login.extend({ type: z.literal('passkey_login'), id: clientId }),
]);
export type ClientFrame = z.infer<typeof clientFrame>;

/** The message types a client may send over /ws. */
export const CLIENT_MESSAGE_TYPES = [...COMMAND_KINDS, 'verify', 'authenticate'] as const;
export type ClientMessageType = (typeof CLIENT_MESSAGE_TYPES)[number];

/**
 * What the edge reads of a frame before anything else: its type and the client's id for the answer.
 * The rest is the request's body, checked by the edge's admission like a REST body.
 */
export const frameEnvelope = z.looseObject({ type: z.enum(CLIENT_MESSAGE_TYPES), id: clientId });

export const replyToSchema = z.object({
  nodeId: z.string().min(1).max(32),
  connectionId: z.string().max(128).optional(),
  clientId: clientId.optional(),
  /** Deferred delivery (X-Connection-Id): pushed to the connection, with no request waiting on the node. */
  deferred: z.boolean().optional(),
});
export type ReplyTo = z.infer<typeof replyToSchema>;

export const commandSchema = z.object({
  v: z.literal(1),
  requestId: z.string().uuid(),
  kind: z.enum(COMMAND_KINDS),
  body: z.record(z.string(), z.unknown()),
  replyTo: replyToSchema,
  /** Epoch ms after which nobody waits for the answer: workers drop the command instead of hashing. */
  deadline: z.number().int().positive(),
  meta: z.object({
    ip: z.string().max(64),
    userAgent: z.string().max(512).optional(),
    /** The verified session a SESSION_KINDS command acts for (set by the edge, never by the client). */
    auth: z.object({ sub: z.string().max(64), sid: z.string().max(64) }).optional(),
  }),
  /** The key the worker seals the result's body with (security/result-seal.ts); never stored with the result. */
  resultSecret: z.string().length(43).optional(),
  /** W3C trace context of the edge's publish span (tracing on), so the worker's spans join its trace. */
  traceparent: z.string().max(128).optional(),
  /** Epoch ms at which the edge published it: the worker measures the time it waited in the queue. */
  sentAt: z.number().int().positive().optional(),
  /** A password command's round on the lane (transport/types.ts PASSWORD_ROUNDS): the fair share of its source. */
  round: z.number().int().min(0).max(255).optional(),
});
export type Command = z.infer<typeof commandSchema>;

/** Loose: a sign-in challenge adds its own fields (`mfaToken`, `verificationId`, ...; docs/errors.md). */
const errorShape = z.looseObject({
  code: z.string(),
  message: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  retryAfter: z.number().optional(),
});

export const resultSchema = z.discriminatedUnion('ok', [
  z.object({
    requestId: z.string(),
    replyTo: replyToSchema,
    ok: z.literal(true),
    status: z.number().int(),
    data: z.unknown().optional(),
    /** The body, sealed for the edge (security/result-seal.ts), in place of `data` while it travels and is kept. */
    sealed: z.string().optional(),
    traceparent: z.string().max(128).optional(),
  }),
  z.object({
    requestId: z.string(),
    replyTo: replyToSchema,
    ok: z.literal(false),
    status: z.number().int(),
    error: errorShape,
    /** A challenge's whole error object, sealed like a success body (security/result-seal.ts). */
    sealed: z.string().optional(),
    traceparent: z.string().max(128).optional(),
  }),
]);
export type Result = z.infer<typeof resultSchema>;

/** The `result` frame (docs/websocket.md), as pushed to a WebSocket and served by GET /auth/results/:id. */
export function resultFrame(id: string, result: Result): Record<string, unknown> {
  return result.ok
    ? { type: 'result', id, ok: true, status: result.status, ...(result.data === undefined ? {} : { data: result.data }) }
    : { type: 'result', id, ok: false, status: result.status, error: result.error };
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  sessionId: string;
  user: { id: string; email: string };
}

/** zod issues as the `details` list of an `invalid_request` error. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}
