import { DEVICE_COMMANDS } from '../../features/devices/sdk.ts';
import { EMAIL_COMMANDS } from '../../features/email/sdk.ts';
import { PASSKEY_COMMANDS } from '../../features/passkeys/sdk.ts';
import { PASSWORD_COMMANDS } from '../../features/password/sdk.ts';
import { SECOND_FACTOR_COMMANDS } from '../../features/second-factor/sdk.ts';
import { SESSION_COMMANDS } from '../../features/sessions/sdk.ts';
import type { CommandSpec } from './command-spec.ts';

export type { CommandSpec } from './command-spec.ts';

/** Every request the client makes: each feature's commands (features/<name>/sdk.ts), then the gateway's own routes. */
export const COMMANDS = {
  ...PASSWORD_COMMANDS,
  ...SESSION_COMMANDS,
  ...DEVICE_COMMANDS,
  ...EMAIL_COMMANDS,
  ...SECOND_FACTOR_COMMANDS,
  verify: { method: 'GET', path: () => '/auth/verify', bearer: true, wsType: 'verify', deferrable: false },
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
