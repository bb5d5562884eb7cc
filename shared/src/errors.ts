/** Error codes of the public contract (docs/errors.md) and the HTTP status each one carries. */
export const ERROR_STATUS = {
  invalid_request: 400,
  weak_password: 400,
  invalid_credentials: 401,
  invalid_token: 401,
  invalid_code: 401,
  forbidden: 403,
  account_disabled: 403,
  email_not_verified: 403,
  mfa_required: 403,
  device_verification_required: 403,
  device_denied: 403,
  challenge_required: 403,
  not_found: 404,
  email_taken: 409,
  device_verification_pending: 409,
  mfa_already_enabled: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  overloaded: 503,
  timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldIssue {
  path: string;
  message: string;
}

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  requestId?: string;
  details?: FieldIssue[];
  retryAfter?: number;
  /** The fields a challenge adds to its error object (`mfaToken`, `methods`, `verificationId`, `completeToken`, `expiresIn`, ...). */
  [challengeField: string]: unknown;
}

/**
 * What a sign-in challenge (`mfa_required`, `device_verification_required`) hands the client to go on
 * with. It may hold a secret (an mfaToken): workers seal an error that carries one, like a token pair.
 */
export type Challenge = Record<string, string | number | boolean | readonly string[] | Readonly<Record<string, string | number>>>;

/** An error meant for the client: its message must never carry a secret or a stack. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: FieldIssue[];
  readonly retryAfter?: number;
  readonly challenge?: Challenge;

  constructor(code: ErrorCode, message: string, extra: { details?: FieldIssue[]; retryAfter?: number; challenge?: Challenge } = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    if (extra.details) this.details = extra.details;
    if (extra.retryAfter !== undefined) this.retryAfter = extra.retryAfter;
    if (extra.challenge) this.challenge = extra.challenge;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toPayload(requestId?: string): ErrorPayload {
    const payload: ErrorPayload = { ...this.challenge, code: this.code, message: this.message };
    if (requestId) payload.requestId = requestId;
    if (this.details) payload.details = this.details;
    if (this.retryAfter !== undefined) payload.retryAfter = this.retryAfter;
    return payload;
  }
}

/** Anything that is not an AppError becomes a bare `internal`: unknown errors may hold secrets. */
export function toAppError(err: unknown): AppError {
  return err instanceof AppError ? err : new AppError('internal', 'internal error');
}
