import { PASSKEY_COMMANDS } from '../../features/passkeys/sdk.ts';

/**
 * Every request the client makes, by the WebSocket message type of the contract, with its REST route.
 * `bearer`: the request acts for the signed-in session (REST: an Authorization header; WebSocket: the
 * connection authenticated as that session). `wsType` undefined: REST only (the account API's routes).
 * `deferrable`: REST accepts X-Connection-Id and answers 202, the result coming on the socket.
 */
export interface CommandSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: (body: Record<string, unknown>) => string;
  bearer: boolean;
  wsType: string | undefined;
  deferrable: boolean;
  /** The fields that go in the path or query, not in a REST body. */
  inPath?: readonly string[];
}

const post = (path: string, bearer: boolean, extra: Partial<CommandSpec> = {}): CommandSpec => ({
  method: 'POST',
  path: () => path,
  bearer,
  wsType: undefined,
  deferrable: false,
  ...extra,
});

export const COMMANDS = {
  register: post('/auth/register', false, { wsType: 'register', deferrable: true }),
  login: post('/auth/login', false, { wsType: 'login', deferrable: true }),
  refresh: post('/auth/refresh', false, { wsType: 'refresh', deferrable: true }),
  logout: post('/auth/logout', false, { wsType: 'logout', deferrable: true }),
  verify: { method: 'GET', path: () => '/auth/verify', bearer: true, wsType: 'verify', deferrable: false },
  mfa_verify: post('/auth/mfa/verify', false, { wsType: 'mfa_verify' }),
  mfa_totp_setup: post('/auth/mfa/totp/setup', true, { wsType: 'mfa_totp_setup' }),
  mfa_totp_confirm: post('/auth/mfa/totp/confirm', true, { wsType: 'mfa_totp_confirm' }),
  mfa_totp_disable: post('/auth/mfa/totp/disable', true, { wsType: 'mfa_totp_disable' }),
  device_approve: post('/auth/devices/approve', true, { wsType: 'device_approve' }),
  device_deny: post('/auth/devices/deny', true, { wsType: 'device_deny' }),
  device_verify: post('/auth/devices/verify', false, { wsType: 'device_verify' }),
  device_complete: post('/auth/devices/complete', false, { wsType: 'device_complete' }),
  email_verify: post('/auth/email/verify', false, { wsType: 'email_verify' }),
  email_resend: post('/auth/email/resend', true, { wsType: 'email_resend' }),
  password_forgot: post('/auth/password/forgot', false, { wsType: 'password_forgot' }),
  password_reset: post('/auth/password/reset', false, { wsType: 'password_reset' }),
  password_change: post('/auth/password/change', true, { wsType: 'password_change' }),
  sessions_list: { method: 'GET', path: () => '/auth/sessions', bearer: true, wsType: 'sessions_list', deferrable: false },
  session_revoke: {
    method: 'DELETE',
    path: (body) => `/auth/sessions/${encodeURIComponent(String(body.sessionId))}`,
    bearer: true,
    wsType: 'session_revoke',
    deferrable: false,
    inPath: ['sessionId'],
  },
  sessions_revoke_others: post('/auth/sessions/revoke-others', true, { wsType: 'sessions_revoke_others' }),
  ...PASSKEY_COMMANDS,
  me: { method: 'GET', path: () => '/auth/me', bearer: true, wsType: undefined, deferrable: false, account: true },
  events: {
    method: 'GET',
    path: (body) => {
      const query = new URLSearchParams();
      if (body.limit !== undefined) query.set('limit', String(body.limit));
      if (body.before !== undefined) query.set('before', String(body.before));
      const text = query.toString();
      return text ? `/auth/events?${text}` : '/auth/events';
    },
    bearer: true,
    wsType: undefined,
    deferrable: false,
    inPath: ['limit', 'before'],
    account: true,
  },
} satisfies Record<string, CommandSpec & { account?: boolean }>;

export type CommandName = keyof typeof COMMANDS;

/** Routes of the account API (services/api): one origin behind nginx, another URL when it runs apart. */
export function isAccountRoute(name: CommandName): boolean {
  return 'account' in COMMANDS[name];
}
