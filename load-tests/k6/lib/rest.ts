import http from 'k6/http';
import { BASE_URL, PASSWORD } from './env.ts';
import { judge, type Operation } from './metrics.ts';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

interface Answer {
  status: number;
  body: unknown;
}

function errorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

function parse(text: string | ArrayBuffer | null): unknown {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function post(op: Operation, body: Record<string, string>): Answer & { ok: boolean } {
  const res = http.post(`${BASE_URL}/auth/${op}`, JSON.stringify(body), { headers: { 'content-type': 'application/json' }, tags: { name: op, op } });
  const parsed = parse(res.body);
  return { status: res.status, body: parsed, ok: judge(op, res.status, errorCode(parsed)) };
}

function tokensOf(body: unknown): TokenPair | undefined {
  const b = body as Partial<TokenPair> | undefined;
  return typeof b?.accessToken === 'string' && typeof b.refreshToken === 'string' ? { accessToken: b.accessToken, refreshToken: b.refreshToken } : undefined;
}

export function register(email: string): boolean {
  return post('register', { email, password: PASSWORD }).ok;
}

export function login(email: string): TokenPair | undefined {
  const answer = post('login', { email, password: PASSWORD });
  return answer.ok ? tokensOf(answer.body) : undefined;
}

export function refresh(refreshToken: string): TokenPair | undefined {
  const answer = post('refresh', { refreshToken });
  return answer.ok ? tokensOf(answer.body) : undefined;
}

export function logout(refreshToken: string): boolean {
  return post('logout', { refreshToken }).ok;
}

export function verify(accessToken: string): boolean {
  const res = http.get(`${BASE_URL}/auth/verify`, { headers: { authorization: `Bearer ${accessToken}` }, tags: { name: 'verify', op: 'verify' } });
  return judge('verify', res.status, res.status === 200 ? undefined : errorCode(parse(res.body)));
}

/** Registered and logged-in users for a storm, made in setup(); those that fail are left out. */
export function prepareSessions(emails: string[]): (TokenPair & { email: string })[] {
  const sessions: (TokenPair & { email: string })[] = [];
  for (const email of emails) {
    if (!register(email)) continue;
    const pair = login(email);
    if (pair) sessions.push({ email, ...pair });
  }
  if (sessions.length === 0) throw new Error('no session could be prepared');
  return sessions;
}
