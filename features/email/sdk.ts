import { sdkCommands } from '../../client/src/command-spec.ts';
import { EMAIL_ROUTES } from './routes.ts';
import type { SdkCore } from '../../client/src/core.ts';

/** The feature's part of the client SDK: its commands and methods. */
export const EMAIL_COMMANDS = sdkCommands(EMAIL_ROUTES);

export function emailSdk(core: SdkCore) {
  return {
    /** Marks the account's address verified with the token of its verification mail (the link's `#token=`). */
    async verifyEmail(token: string): Promise<void> {
      await core.send('email_verify', { token });
    },
    /** Mails the signed-in account a new verification link (`rate_limited` past EMAIL_RESEND_PER_HOUR). */
    async resendVerification(): Promise<void> {
      await core.authed('email_resend', {});
    },
  };
}
