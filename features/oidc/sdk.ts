import { AuthgateError, type ErrorBody } from '@authgate/client';
import type { InteractionDetails } from './contract.ts';

/**
 * The page's part of the OpenID sign-in: ask an interaction what it needs, hand it the access token of
 * the session the page signed in, or the person's Allow/Deny. Each call carries the provider's
 * interaction cookie (same origin, scoped to the interaction's path) and answers where the browser
 * goes next. Failures are AuthgateErrors, as everywhere in the SDK.
 */
export interface InteractionCalls {
  details(uid: string): Promise<InteractionDetails>;
  /** Where to send the browser next. */
  signIn(uid: string, accessToken: string): Promise<string>;
  consent(uid: string, decision: 'allow' | 'deny'): Promise<string>;
}

export function interactionCalls(options: { baseUrl?: string; fetch?: typeof fetch } = {}): InteractionCalls {
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const call = async <T>(uid: string, step: string, body?: Record<string, unknown>): Promise<T> => {
    const url = `${base}/oidc/interaction/${encodeURIComponent(uid)}/${step}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: body ? 'POST' : 'GET',
        credentials: 'same-origin',
        headers: body ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw AuthgateError.network((err as Error).message);
    }
    const data = (await response.json().catch(() => undefined)) as { error?: ErrorBody } | undefined;
    if (!response.ok) throw new AuthgateError(data?.error ?? { code: 'internal', message: `status ${response.status}` }, response.status);
    return data as T;
  };
  return {
    details: (uid) => call<InteractionDetails>(uid, 'details'),
    signIn: async (uid, accessToken) => (await call<{ redirectTo: string }>(uid, 'login', { accessToken })).redirectTo,
    consent: async (uid, decision) => (await call<{ redirectTo: string }>(uid, 'consent', { decision })).redirectTo,
  };
}
