import type { CommandKind } from '@authgate/shared/protocol';
import type { CommandHandler } from '../context.ts';
import { deviceApprove, deviceComplete, deviceDeny, deviceVerify } from './devices.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { refresh } from './refresh.ts';
import { register } from './register.ts';
import { sessionRevoke, sessionsList, sessionsRevokeOthers } from './sessions.ts';

export const handlers: Record<CommandKind, CommandHandler> = {
  register,
  login,
  refresh,
  logout,
  sessions_list: sessionsList,
  session_revoke: sessionRevoke,
  sessions_revoke_others: sessionsRevokeOthers,
  device_approve: deviceApprove,
  device_deny: deviceDeny,
  device_verify: deviceVerify,
  device_complete: deviceComplete,
};
