import type { CommandRoute } from '../routes.ts';

/** How each of the feature's commands is reached (zod-free: the SDK builds its table from it too). */
export const PASSWORD_ROUTES = {
  register: { rest: { method: 'POST', path: '/auth/register', body: 'json' }, auth: 'none', sdkDeferred: true },
  login: { rest: { method: 'POST', path: '/auth/login', body: 'json' }, auth: 'none', sdkDeferred: true },
  password_forgot: { rest: { method: 'POST', path: '/auth/password/forgot', body: 'json' }, auth: 'none' },
  password_reset: { rest: { method: 'POST', path: '/auth/password/reset', body: 'json' }, auth: 'none' },
  password_change: { rest: { method: 'POST', path: '/auth/password/change', body: 'json' }, auth: 'session' },
} as const satisfies Record<string, CommandRoute>;
