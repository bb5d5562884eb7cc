import type { CommandKind } from '@authgate/shared/protocol';
import type { CommandHandler } from '../context.ts';
import { deviceApprove, deviceComplete, deviceDeny, deviceVerify } from './devices.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { mfaTotpConfirm, mfaTotpDisable, mfaTotpSetup } from './mfa-totp.ts';
import { mfaVerify } from './mfa-verify.ts';
import { refresh } from './refresh.ts';
import { register } from './register.ts';
import { sessionRevoke, sessionsList, sessionsRevokeOthers } from './sessions.ts';
import { emailResend } from './email-resend.ts';
import { emailVerify } from './email-verify.ts';
import { passwordChange } from './password-change.ts';
import { passwordForgot } from './password-forgot.ts';
import { passwordReset } from './password-reset.ts';
import { passkeyHandlers } from '@authgate/features/passkeys/worker/handlers';

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
  email_verify: emailVerify,
  email_resend: emailResend,
  password_forgot: passwordForgot,
  password_reset: passwordReset,
  password_change: passwordChange,
  mfa_totp_setup: mfaTotpSetup,
  mfa_totp_confirm: mfaTotpConfirm,
  mfa_totp_disable: mfaTotpDisable,
  mfa_verify: mfaVerify,
  ...passkeyHandlers,
};
