import { sdkCommands } from '../../client/src/command-spec.ts';
import { PASSWORD_ROUTES } from './routes.ts';
import type { SdkCore } from '../../client/src/core.ts';
import type { LoginOutcome } from '../../client/src/types.ts';

/** The feature's part of the client SDK: its commands and methods (no zod, no node: bundled for browsers). */
export const PASSWORD_COMMANDS = sdkCommands(PASSWORD_ROUTES);

export function passwordSdk(core: SdkCore) {
  return {
    async register(email: string, password: string): Promise<{ userId: string }> {
      return (await core.send('register', { email, password })).data as { userId: string };
    },
    /** Signs in; a second factor or a new device's approval are outcomes, not errors. */
    login(email: string, password: string): Promise<LoginOutcome> {
      return core.signInStep('login', { email, password, deviceId: core.deviceId });
    },
    /** Asks for a reset mail: answered alike whether an account has the address or not. */
    async forgotPassword(email: string): Promise<void> {
      await core.send('password_forgot', { email });
    },
    /** Sets a new password with the token of a reset mail; every session of the account ends (this one too). */
    async resetPassword(token: string, password: string): Promise<void> {
      await core.send('password_reset', { token, password });
    },
    /** Changes the signed-in account's password; every other session of the account ends. */
    async changePassword(currentPassword: string, newPassword: string): Promise<void> {
      await core.authed('password_change', { currentPassword, newPassword });
    },
  };
}
