import { randomBytes } from 'node:crypto';
import type { Ledger, OpKind, OpRecord } from './ledger.ts';
import { ChaosSocket, type ResultFrame } from './socket.ts';

export interface ClientSettings {
  /** nginx's WebSocket URL and its HTTP origin. */
  wsUrl: string;
  httpUrl: string;
  /** The cluster's REQUEST_TIMEOUT_MS: every request is owed an answer within it. */
  requestTimeoutMs: number;
  /** Slack on top of the deadline before an unanswered request counts as lost. */
  marginMs: number;
  /** Pause between two requests of one client (± half of it, at random). */
  thinkMs: number;
  ledger: Ledger;
  /** Tells the emails of one run and phase apart. */
  label: string;
}

const MAX_SENDS = 4;
const CONNECT_PATIENCE_MS = 15_000;
const REFRESHES_PER_ACCOUNT = 2;
const PASSWORD = 'chaos monkey keeps its keys';

interface Account {
  email: string;
  registered: boolean;
  /** A registration was sent before for this email: email_taken may be its own doing. */
  registerSent: boolean;
  refreshToken: string | undefined;
  refreshes: number;
}

/**
 * A client that behaves like a real one: it registers, logs in and refreshes over one WebSocket
 * through nginx; when the connection drops, it reconnects (to whichever edge nginx picks) and sends
 * again what has no result (a WebSocket request's own id is no handle on the result store, so that a
 * connectionId alone cannot read a connection's results). After an `overloaded` or `timeout` it tries the same step again.
 */
export class VirtualUser {
  private socket: ChaosSocket | undefined;
  private account: Account;
  private accounts = 0;
  private nextId = 0;
  private readonly tag = randomBytes(3).toString('hex');
  /** Stable for this client, as a browser's or an app install's: the refresh grace answers only its own device. */
  private readonly deviceId = `chaos-${randomBytes(8).toString('hex')}`;

  constructor(
    private readonly index: number,
    private readonly settings: ClientSettings,
  ) {
    this.account = this.newAccount();
  }

  private newAccount(): Account {
    const email = `chaos-${this.settings.label}-${this.tag}-${this.index}-${this.accounts++}@example.test`;
    this.settings.ledger.emails.add(email);
    return { email, registered: false, registerSent: false, refreshToken: undefined, refreshes: 0 };
  }

  async connect(): Promise<ChaosSocket> {
    if (this.socket?.isOpen) return this.socket;
    const until = Date.now() + CONNECT_PATIENCE_MS;
    let last: unknown;
    while (Date.now() < until) {
      try {
        this.socket = await ChaosSocket.open(this.settings.wsUrl, (id) => this.settings.ledger.duplicate(id));
        return this.socket;
      } catch (err) {
        last = err;
        await sleep(200);
      }
    }
    throw new Error(`cannot connect: ${(last as Error)?.message}`);
  }

  /** Requests until `running()` turns false, then finishes a registration whose outcome is open. */
  async run(running: () => boolean): Promise<void> {
    while (running()) {
      await this.step();
      await sleep(this.settings.thinkMs * (0.5 + Math.random()));
    }
    // A registration answered with an error may have created its user: settle it, so that every
    // user row can be matched with an answer that told its client.
    for (let i = 0; i < 3 && this.account.registerSent && !this.account.registered; i++) await this.step();
  }

  close(): void {
    this.socket?.close();
  }

  private async step(): Promise<void> {
    const account = this.account;
    if (!account.registered) {
      const { op } = await this.request('register', { email: account.email, password: PASSWORD }, account);
      if (op.outcome === 'ok' || op.outcome === 'dup_safe') account.registered = true;
      else account.registerSent = true;
      return;
    }
    if (!account.refreshToken) {
      const { op, data } = await this.request('login', { email: account.email, password: PASSWORD, deviceId: this.deviceId }, account);
      if (op.outcome === 'ok') account.refreshToken = data?.refreshToken;
      return;
    }
    const { op, data } = await this.request('refresh', { refreshToken: account.refreshToken, deviceId: this.deviceId }, account);
    if (op.outcome === 'ok') {
      account.refreshToken = data?.refreshToken;
      if (++account.refreshes >= REFRESHES_PER_ACCOUNT) this.account = this.newAccount();
    } else if (op.code === 'invalid_token') {
      account.refreshToken = undefined; // the session is gone: log in again
    }
  }

  private async request(kind: OpKind, fields: Record<string, unknown>, account: Account): Promise<{ op: OpRecord; data?: { refreshToken?: string } }> {
    const { ledger, requestTimeoutMs, marginMs } = this.settings;
    const id = `u${this.index}-${this.tag}-${++this.nextId}`;
    const op: OpRecord = { kind, sentAt: Date.now(), endedAt: 0, outcome: 'lost', code: 'gave_up', sends: 0, collected: false, email: account.email };
    // Sent before, by an earlier request or an earlier send of this one: email_taken may be its own user.
    const sentBefore = account.registerSent;
    ledger.inFlight++;
    try {
      let frame: ResultFrame | undefined;
      for (let send = 1; send <= MAX_SENDS && !frame; send++) {
        let socket: ChaosSocket;
        try {
          socket = await this.connect();
        } catch {
          op.code = 'no_connection';
          break;
        }
        op.sends = send;
        if (kind === 'register') account.registerSent = true;
        const answer = await socket.request(id, kind, fields, requestTimeoutMs + marginMs);
        if (answer.kind === 'result') frame = answer.frame;
        else if (answer.kind === 'timeout') {
          op.code = 'no_answer';
          break;
        }
        // else the connection dropped first: send again on a new one.
      }
      op.endedAt = Date.now();
      if (frame) classify(op, frame, kind === 'register' && (sentBefore || op.sends > 1));
      ledger.record(op);
      return { op, data: frame?.data };
    } finally {
      ledger.inFlight--;
    }
  }
}

function classify(op: OpRecord, frame: ResultFrame, mayBeOwnRegistration: boolean): void {
  if (frame.ok) {
    op.outcome = 'ok';
    delete op.code;
    return;
  }
  const code = frame.error?.code ?? `status_${frame.status}`;
  if (code === 'email_taken' && mayBeOwnRegistration) {
    op.outcome = 'dup_safe';
    delete op.code;
    return;
  }
  op.outcome = 'error';
  op.code = code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
