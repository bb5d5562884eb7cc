/**
 * What one virtual user does, step by step, whatever carries it (REST through autocannon, or the
 * WebSocket client): the driver asks `next()` for a step, sends it, and reports the answer back.
 */
export type Operation = 'register' | 'login' | 'verify' | 'refresh' | 'logout';

export interface Step {
  op: Operation;
  /** The request's fields as docs/rest.md and docs/websocket.md name them (`verify` takes `accessToken`). */
  fields: Record<string, string>;
}

export interface Answer {
  ok: boolean;
  status: number;
  data?: unknown;
}

export interface Journey {
  /** The next request, or undefined when this user has nothing more to do. */
  next(): Step | undefined;
  answer(step: Step, answer: Answer): void;
}

/** The success status of each operation (docs/rest.md); anything else is a failure. */
export const EXPECTED_STATUS: Record<Operation, number> = { register: 201, login: 200, verify: 200, refresh: 200, logout: 204 };

export const LOAD_PASSWORD = 'load test password 1';

interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

function tokensOf(data: unknown): TokenPair | undefined {
  const d = data as Partial<TokenPair> | undefined;
  return typeof d?.accessToken === 'string' && typeof d.refreshToken === 'string' ? { accessToken: d.accessToken, refreshToken: d.refreshToken } : undefined;
}

/** Registers one account, then logs in to it: two requests, the second whatever the first answered. */
export class SignupJourney implements Journey {
  private stage = 0;

  constructor(
    private readonly email: string,
    private readonly password = LOAD_PASSWORD,
  ) {}

  next(): Step | undefined {
    const fields = { email: this.email, password: this.password };
    switch (this.stage++) {
      case 0:
        return { op: 'register', fields };
      case 1:
        return { op: 'login', fields };
      default:
        return undefined;
    }
  }

  answer(): void {}
}

export interface Session {
  email: string;
  password: string;
  refreshToken?: string | undefined;
}

/** Refreshes one session again and again, each time with the token the last refresh returned. */
export class RefreshJourney implements Journey {
  constructor(private readonly session: Session) {}

  next(): Step {
    const { email, password, refreshToken } = this.session;
    // A session whose refresh failed is gone (or its token is unknown): log in again for a new one.
    return refreshToken ? { op: 'refresh', fields: { refreshToken } } : { op: 'login', fields: { email, password } };
  }

  answer(_step: Step, answer: Answer): void {
    this.session.refreshToken = answer.ok ? tokensOf(answer.data)?.refreshToken : undefined;
  }
}

export interface MixOptions {
  /** Verifications of the access token between two refreshes (and after login). */
  verifiesPerRefresh: number;
  /** Refreshes before the user logs out and a new user signs up. */
  refreshesPerSession: number;
}

/**
 * A user's life in a loop: sign up, log in, use the access token (verify), refresh it now and then,
 * log out; then a new user. A failed login starts over with a new user; a failed refresh logs in again.
 */
export class MixedJourney implements Journey {
  private phase: 'register' | 'login' | 'use' = 'register';
  private email = '';
  private tokens: TokenPair | undefined;
  private verifiesLeft = 0;
  private refreshesLeft = 0;

  constructor(
    private readonly newEmail: () => string,
    private readonly mix: MixOptions,
    private readonly password = LOAD_PASSWORD,
  ) {}

  next(): Step {
    const credentials = () => ({ email: this.email, password: this.password });
    if (this.phase === 'register') {
      this.email = this.newEmail();
      return { op: 'register', fields: credentials() };
    }
    if (this.phase === 'login' || !this.tokens) return { op: 'login', fields: credentials() };
    if (this.verifiesLeft > 0) {
      this.verifiesLeft--;
      return { op: 'verify', fields: { accessToken: this.tokens.accessToken } };
    }
    if (this.refreshesLeft > 0) {
      this.refreshesLeft--;
      this.verifiesLeft = this.mix.verifiesPerRefresh;
      return { op: 'refresh', fields: { refreshToken: this.tokens.refreshToken } };
    }
    return { op: 'logout', fields: { refreshToken: this.tokens.refreshToken } };
  }

  answer(step: Step, answer: Answer): void {
    switch (step.op) {
      case 'register':
        this.phase = answer.ok ? 'login' : 'register';
        break;
      case 'login':
        this.tokens = answer.ok ? tokensOf(answer.data) : undefined;
        this.phase = this.tokens ? 'use' : 'register';
        this.verifiesLeft = this.mix.verifiesPerRefresh;
        this.refreshesLeft = this.mix.refreshesPerSession;
        break;
      case 'refresh':
        this.tokens = answer.ok ? tokensOf(answer.data) : undefined;
        if (!this.tokens) this.phase = 'login';
        break;
      case 'logout':
        this.tokens = undefined;
        this.phase = 'register';
        break;
      case 'verify':
        break;
    }
  }
}
