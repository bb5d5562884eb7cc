import { AppError } from '@authgate/shared/errors';
import { checkNewPassword } from '@authgate/shared/password-policy';
import { bodySchemas, fieldIssues, type CommandKind } from '@authgate/shared/protocol';
import type { LoginLimiter } from '@authgate/shared/security/login-limiter';
import type { PerMinuteLimiter } from '@authgate/shared/security/per-minute-limiter';

/**
 * The one admission path of a command, for HTTP and WebSocket alike. Each transport has already bounded
 * the bytes (MAX_BODY_BYTES, WS_MAX_PAYLOAD_BYTES) and framing; then, in this order:
 *
 * 1. the per-IP limit: every attempt costs, well-formed or not;
 * 2. the body schema (invalid_request with the failing fields);
 * 3. the password policy of new passwords (weak_password);
 * 4. the login brute-force limits (per account and per account and IP), counted before publishing.
 *
 * What passes is the command's body, ready to publish.
 */
export class Admission {
  /** Requests refused `rate_limited`, by limiter (read by the metrics). */
  readonly refusals = { ip: 0, login: 0 };

  constructor(
    private readonly ipLimiter: PerMinuteLimiter,
    private readonly loginLimiter: LoginLimiter,
  ) {}

  async admit(kind: CommandKind, body: unknown, ip: string): Promise<Record<string, unknown>> {
    await this.ipLimiter.consume(ip).catch((err: unknown) => this.refused('ip', err));
    const parsed = bodySchemas[kind].safeParse(body);
    if (!parsed.success) throw new AppError('invalid_request', 'request body is invalid', { details: fieldIssues(parsed.error) });
    const data = parsed.data as Record<string, unknown> & { email?: string; password?: string };
    if (kind === 'register') checkNewPassword(data.password!, data.email);
    if (kind === 'login') await this.loginLimiter.admit(data.email!, ip).catch((err: unknown) => this.refused('login', err));
    return data;
  }

  private refused(limiter: 'ip' | 'login', err: unknown): never {
    if (err instanceof AppError && err.code === 'rate_limited') this.refusals[limiter]++;
    throw err;
  }

  /** A counted login attempt whose command surely never reached a worker is given back. */
  notRun(kind: CommandKind, body: Record<string, unknown>, ip: string): Promise<void> {
    if (kind !== 'login' || typeof body.email !== 'string') return Promise.resolve();
    return this.loginLimiter.refund(body.email, ip);
  }
}
