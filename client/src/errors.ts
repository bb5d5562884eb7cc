/**
 * The error codes of the public contract (docs/errors.md) with the status each one carries. A copy of
 * shared/src/errors.ts's list, kept here so that the browser build imports nothing from the server;
 * test/client/errors.test.ts fails when the two differ.
 */
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

export type ContractErrorCode = keyof typeof ERROR_STATUS;
/**
 * A contract code, or one the client makes itself: `network` (the server could not be reached or the
 * connection dropped before an answer) and `signed_out` (a call that needs a session, with none).
 */
export type ErrorCode = ContractErrorCode | 'network' | 'signed_out';

export interface FieldIssue {
  path: string;
  message: string;
}

/** The error object of the contract, as a server sends it. */
export interface ErrorBody {
  code: string;
  message: string;
  requestId?: string;
  details?: FieldIssue[];
  retryAfter?: number;
  [challengeField: string]: unknown;
}

/** Every failure the SDK reports: branch on `code` (an unknown code is kept as it came, see `status`). */
export class AuthgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly details: FieldIssue[] | undefined;
  /** Seconds to wait before retrying (`rate_limited`). */
  readonly retryAfter: number | undefined;
  /** The error object as received, challenge fields included. */
  readonly body: ErrorBody;

  constructor(body: ErrorBody, status: number) {
    super(body.message);
    this.name = 'AuthgateError';
    // Clients should treat an unknown code by its status (docs/errors.md): the code is kept as it came.
    this.code = body.code as ErrorCode;
    this.status = status;
    this.requestId = body.requestId;
    this.details = body.details;
    this.retryAfter = body.retryAfter;
    this.body = body;
  }

  static network(message: string): AuthgateError {
    return new AuthgateError({ code: 'network', message }, 0);
  }

  static signedOut(): AuthgateError {
    return new AuthgateError({ code: 'signed_out', message: 'not signed in' }, 0);
  }
}

export function isAuthgateError(err: unknown, code?: ErrorCode): err is AuthgateError {
  return err instanceof AuthgateError && (code === undefined || err.code === code);
}
