import { z } from 'zod';
import { COMMANDS, type CommandKind, type FeatureCommand } from '@authgate/features/list';
import type { FieldIssue } from './errors.ts';
import { tokenSchema } from './wire-fields.ts';

/**
 * The wire contract (docs/rest.md, docs/websocket.md, docs/messages.md) as zod schemas: request bodies, WebSocket frames, the commands edges
 * publish to the queue and the results workers publish back. Every service validates with these.
 * Each command is declared once, in its feature's contract (features/<name>/contract.ts); the tables
 * here are built from the ordered list of features (features/list.ts).
 */

export { BCRYPT_MAX_BYTES, emailSchema } from './wire-fields.ts';
export type { CommandKind } from '@authgate/features/list';

export const verifyBody = z.object({ accessToken: tokenSchema });
export const authenticateBody = z.object({ accessToken: tokenSchema });

/** Commands that go through the queue to a worker. `verify` never does: edges check tokens themselves. */
export const COMMAND_KINDS = COMMANDS.map((command) => command.kind) as unknown as readonly [CommandKind, ...CommandKind[]];

const kindsWhere = (test: (command: FeatureCommand) => boolean): ReadonlySet<CommandKind> => new Set(COMMANDS.filter(test).map((command) => command.kind));

/**
 * Commands on behalf of a signed-in session: the edge verifies the access token (REST Bearer, or the
 * session a WebSocket is authenticated as) and puts its subject and session in the command's `auth`.
 */
export const SESSION_KINDS = kindsWhere((command) => command.auth === 'session');

/**
 * Commands the edge answers itself (202) as soon as they pass admission, without waiting for the
 * queue or the worker (`answeredAtEdge`: a forgot request, whose answer must not tell whether the
 * address has an account, in body, status or time).
 */
export const ACCEPTED_AT_EDGE = kindsWhere((command) => command.answeredAtEdge === true);

/** Commands that cost a bcrypt hash go to their own queue so cheap ones never wait behind them. */
export const PASSWORD_KINDS = kindsWhere((command) => command.lane === 'password');

/** Commands whose success is a session's token pair: a socket that sends one is bound to that session. */
export const SIGN_IN_KINDS = kindsWhere((command) => command.signsIn === true);

/** Each command's contract, by kind. */
export const commandContracts = Object.fromEntries(COMMANDS.map((command) => [command.kind, command])) as Record<CommandKind, FeatureCommand>;

/** The hard cap of a client's request id; CLIENT_ID_MAX_LENGTH (at most this) is checked at the edge. */
export const CLIENT_ID_HARD_MAX = 128;
const clientId = z.string().min(1).max(CLIENT_ID_HARD_MAX);

const commandFrames = COMMANDS.map((command) => (command.frame ?? command.body).extend({ type: z.literal(command.kind), id: clientId }));
export const clientFrame = z.discriminatedUnion('type', [
  verifyBody.extend({ type: z.literal('verify'), id: clientId }),
  authenticateBody.extend({ type: z.literal('authenticate'), id: clientId }),
  ...commandFrames,
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
