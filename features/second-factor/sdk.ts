import { sdkCommands } from '../../client/src/command-spec.ts';
import { SECOND_FACTOR_ROUTES } from './routes.ts';
import type { SdkCore } from '../../client/src/core.ts';
import type { LoginOutcome, TotpSetup } from '../../client/src/types.ts';

/** The feature's part of the client SDK: its commands and methods. */
export const SECOND_FACTOR_COMMANDS = sdkCommands(SECOND_FACTOR_ROUTES);

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
