/** Plain fetch calls against an edge, returning status, headers and parsed body. */
export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const init: RequestInit = { method, headers: { ...(options.headers ?? {}) } };
  if (options.raw !== undefined) init.body = options.raw;
  else if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* leave as text */
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

export const post = <T = any>(base: string, path: string, body: unknown, headers?: Record<string, string>) =>
  call<T>(base, 'POST', path, { body, ...(headers ? { headers } : {}) });
