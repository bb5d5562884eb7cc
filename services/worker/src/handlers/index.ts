import type { CommandKind } from '@authgate/shared/protocol';
import type { CommandHandler } from '../context.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { mfaTotpConfirm, mfaTotpDisable, mfaTotpSetup } from './mfa-totp.ts';
import { mfaVerify } from './mfa-verify.ts';
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
  mfa_totp_setup: mfaTotpSetup,
  mfa_totp_confirm: mfaTotpConfirm,
  mfa_totp_disable: mfaTotpDisable,
  mfa_verify: mfaVerify,
};
