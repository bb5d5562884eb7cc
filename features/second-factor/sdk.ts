import { type CommandSpec, postCommand } from '../../client/src/command-spec.ts';
import type { SdkCore } from '../../client/src/core.ts';
import type { LoginOutcome, TotpSetup } from '../../client/src/types.ts';

/** The feature's part of the client SDK: its commands and methods. */
export const SECOND_FACTOR_COMMANDS = {
  mfa_verify: postCommand('mfa_verify', '/auth/mfa/verify'),
  mfa_totp_setup: postCommand('mfa_totp_setup', '/auth/mfa/totp/setup', { bearer: true }),
  mfa_totp_confirm: postCommand('mfa_totp_confirm', '/auth/mfa/totp/confirm', { bearer: true }),
  mfa_totp_disable: postCommand('mfa_totp_disable', '/auth/mfa/totp/disable', { bearer: true }),
} satisfies Record<string, CommandSpec>;

export function secondFactorSdk(core: SdkCore) {
  return {
    /** The second step of a sign-in that answered `mfa_required`: a TOTP code or a recovery code. */
    verifyMfa(mfaToken: string, answer: { code: string } | { recoveryCode: string }): Promise<LoginOutcome> {
      return core.signInStep('mfa_verify', { mfaToken, ...answer });
    },
    /** `password`: the account's current one (a stolen access token alone cannot turn TOTP on). */
    async setupTotp(password: string): Promise<TotpSetup> {
      return (await core.authed('mfa_totp_setup', { password })).data as TotpSetup;
    },
    async confirmTotp(code: string): Promise<{ recoveryCodes: string[] }> {
      return (await core.authed('mfa_totp_confirm', { code })).data as { recoveryCodes: string[] };
    },
    async disableTotp(password: string, code: string): Promise<void> {
      await core.authed('mfa_totp_disable', { password, code });
    },
  };
}
