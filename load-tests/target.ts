/**
 * Where the load goes. Load is sent to this machine's loopback addresses only (127.0.0.0/8, ::1,
 * localhost): a load test must never flood a host by a typo in --url.
 */
export interface Target {
  /** Base URLs (`http://host:port`), spread over by every driver. */
  httpUrls: string[];
  wsUrls: string[];
  description: Record<string, unknown>;
  stop(): Promise<void>;
}

export class TargetError extends Error {}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function assertLoopback(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetError(`not a URL: ${JSON.stringify(url)}`);
  }
  if (!isLoopbackHost(parsed.hostname)) throw new TargetError(`load is sent to loopback addresses only (127.x.x.x, ::1, localhost), not to ${parsed.hostname}`);
}

/** `http://127.0.0.1:8080/` → `http://127.0.0.1:8080`; refuses anything but http on loopback. */
export function baseUrl(raw: string): string {
  assertLoopback(raw);
  const url = new URL(raw);
  if (url.protocol !== 'http:') throw new TargetError(`--url must start with http:// (got ${url.protocol}//)`);
  if (url.pathname !== '/' || url.search) throw new TargetError(`--url must be a base URL without a path (got ${raw})`);
  return url.origin;
}

export function wsUrlOf(base: string): string {
  return `${base.replace(/^http/, 'ws')}/ws`;
}

/** A deployment someone else runs: checked to answer /health before any load is sent. */
export async function remoteTarget(urls: string[]): Promise<Target> {
  const httpUrls = urls.map(baseUrl);
  for (const url of httpUrls) {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) }).catch((err: unknown) => {
      throw new TargetError(`${url}/health did not answer: ${(err as Error).message}`);
    });
    if (res.status !== 200) throw new TargetError(`${url}/health answered ${res.status}`);
  }
  return { httpUrls, wsUrls: httpUrls.map(wsUrlOf), description: { kind: 'given', urls: httpUrls }, stop: async () => {} };
}
