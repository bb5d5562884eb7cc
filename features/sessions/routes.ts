import type { CommandRoute } from '../routes.ts';

/** How each of the feature's commands is reached (zod-free: the SDK builds its table from it too). */
export const SESSION_ROUTES = {
  refresh: { rest: { method: 'POST', path: '/auth/refresh', body: 'json' }, auth: 'none', sdkDeferred: true },
  logout: { rest: { method: 'POST', path: '/auth/logout', body: 'json' }, auth: 'none', sdkDeferred: true },
  sessions_list: { rest: { method: 'GET', path: '/auth/sessions', body: 'none' }, auth: 'session' },
  session_revoke: { rest: { method: 'DELETE', path: '/auth/sessions/:id', pathParam: 'sessionId', body: 'none' }, auth: 'session' },
  sessions_revoke_others: { rest: { method: 'POST', path: '/auth/sessions/revoke-others', body: 'ignored' }, auth: 'session' },
} as const satisfies Record<string, CommandRoute>;
