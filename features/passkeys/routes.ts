import type { CommandRoute } from '../routes.ts';

/** How each of the feature's commands is reached (zod-free: the SDK builds its table from it too). */
export const PASSKEY_ROUTES = {
  passkey_register_options: { rest: { method: 'POST', path: '/auth/passkeys/register/options', body: 'ignored' }, auth: 'session' },
  passkey_register: { rest: { method: 'POST', path: '/auth/passkeys/register', body: 'json' }, auth: 'session' },
  passkeys_list: { rest: { method: 'GET', path: '/auth/passkeys', body: 'none' }, auth: 'session' },
  passkey_delete: { rest: { method: 'DELETE', path: '/auth/passkeys/:id', pathParam: 'passkeyId', body: 'none' }, auth: 'session' },
  passkey_login_options: { rest: { method: 'POST', path: '/auth/passkeys/login/options', body: 'json' }, auth: 'none' },
  passkey_login: { rest: { method: 'POST', path: '/auth/passkeys/login', body: 'json' }, auth: 'none', sdkDeferred: true },
} as const satisfies Record<string, CommandRoute>;
