import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { AuthgateSocket, type ResultFrame, type WebSocketClass } from '@authgate/shared/client/socket-client';
import { call, type HttpAnswer } from '../../helpers/http.ts';
import { recordSecret, recordSecretsIn } from './secrets.ts';

/** A client address of its own: edges trust X-Forwarded-For from 127.0.0.1 (TRUSTED_PROXIES) in the suite. */
export function newIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${(b[2]! % 250) + 1}`;
}

export function newEmail(label = 'user'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.test`;
}

/** A password no list holds, recorded as a secret the logs must never show. */
export function newPassword(): string {
  const password = `pw ${randomBytes(9).toString('base64url')} lantern`;
  recordSecret(password);
  return password;
}

/** A REST call whose secrets (in the body sent and the body received) are recorded for the log scan. */
export async function rest<T = any>(
  base: string,
  method: 'GET' | 'POST' | 'OPTIONS',
  path: string,
  options: { body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string>; ip?: string } = {},
): Promise<HttpAnswer<T>> {
  recordSecretsIn(options.body);
  const headers: Record<string, string> = { ...(options.headers ?? {}), ...(options.ip ? { 'x-forwarded-for': options.ip } : {}) };
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '');
  if (bearer) recordSecret(bearer[1]);
  const answer = await call<T>(base, method, path, { ...options, headers });
  recordSecretsIn(answer.body);
  return answer;
}

export const postJson = <T = any>(base: string, path: string, body: unknown, ip?: string, headers?: Record<string, string>) =>
  rest<T>(base, 'POST', path, { body, ...(ip ? { ip } : {}), ...(headers ? { headers } : {}) });

export const verifyRest = (base: string, token: string) => rest(base, 'GET', '/auth/verify', { headers: { authorization: `Bearer ${token}` } });

/** A WebSocket connection as seen from `ip` (X-Forwarded-For on the upgrade request). */
export function openSocketFrom(wsUrl: string, ip?: string, headers: Record<string, string> = {}): Promise<AuthgateSocket> {
  const extra = { ...headers, ...(ip ? { 'x-forwarded-for': ip } : {}) };
  class WebSocketWithHeaders extends WebSocket {
    constructor(url: string) {
      super(url, { headers: extra });
    }
  }
  return AuthgateSocket.connect(wsUrl, WebSocketWithHeaders as unknown as WebSocketClass);
}

/** One WebSocket request, its secrets recorded like those of `rest`. */
export async function wsRequest<T = any>(
  socket: AuthgateSocket,
  type: 'register' | 'login' | 'refresh' | 'logout' | 'verify',
  fields: Record<string, unknown>,
): Promise<ResultFrame<T>> {
  recordSecretsIn(fields);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result for ${type} within 30 s`)), 30_000);
  });
  try {
    const frame = await Promise.race([socket.request<T>(type, fields), timeout]);
    recordSecretsIn(frame);
    return frame;
  } finally {
    clearTimeout(timer);
  }
}

export async function register(base: string, email: string, password: string, ip?: string): Promise<string> {
  const answer = await postJson(base, '/auth/register', { email, password }, ip);
  if (answer.status !== 201) throw new Error(`register failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.userId as string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
