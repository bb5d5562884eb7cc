import { LOAD_PASSWORD } from '../journeys.ts';

export interface PreparedSession {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

async function post(url: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/**
 * Before a storm: users registered and logged in (not measured), `concurrency` at a time. Users
 * that fail are left out and counted; the storm runs on the sessions that exist.
 */
export async function prepareSessions(
  urls: string[],
  emails: string[],
  options: { concurrency: number; timeoutMs: number },
): Promise<{ sessions: PreparedSession[]; failed: Record<string, number> }> {
  const sessions: PreparedSession[] = [];
  const failed: Record<string, number> = {};
  const fail = (code: string) => (failed[code] = (failed[code] ?? 0) + 1);
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const i = next++;
      const email = emails[i]!;
      const base = urls[i % urls.length]!;
      try {
        const registered = await post(`${base}/auth/register`, { email, password: LOAD_PASSWORD }, options.timeoutMs);
        if (registered.status !== 201) {
          fail(`register ${registered.body?.error?.code ?? `http_${registered.status}`}`);
          continue;
        }
        const login = await post(`${base}/auth/login`, { email, password: LOAD_PASSWORD }, options.timeoutMs);
        if (login.status !== 200) {
          fail(`login ${login.body?.error?.code ?? `http_${login.status}`}`);
          continue;
        }
        sessions.push({ email, password: LOAD_PASSWORD, accessToken: login.body.accessToken, refreshToken: login.body.refreshToken });
      } catch (err) {
        fail(`setup ${(err as Error).name === 'TimeoutError' ? 'client_timeout' : 'connection_error'}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, emails.length) }, worker));
  if (sessions.length === 0) throw new Error(`no session could be prepared (${JSON.stringify(failed)})`);
  return { sessions, failed };
}
