import type { CommandRoute } from '../routes.ts';

/** How each of the feature's commands is reached (zod-free: the SDK builds its table from it too). */
export const SECOND_FACTOR_ROUTES = {
  mfa_totp_setup: { rest: { method: 'POST', path: '/auth/mfa/totp/setup', body: 'json' }, auth: 'session' },
  mfa_totp_confirm: { rest: { method: 'POST', path: '/auth/mfa/totp/confirm', body: 'json' }, auth: 'session' },
  mfa_totp_disable: { rest: { method: 'POST', path: '/auth/mfa/totp/disable', body: 'json' }, auth: 'session' },
  mfa_verify: { rest: { method: 'POST', path: '/auth/mfa/verify', body: 'json' }, auth: 'none' },
} as const satisfies Record<string, CommandRoute>;
