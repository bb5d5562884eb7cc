import type { MailJob, MailKind } from '@authgate/shared/mail/job';
import { deviceCode } from './device-code.ts';
import { mfaDisabled, mfaEnabled, newSignIn, passwordChanged, refreshReuse } from './notices.ts';
import { passwordReset } from './password-reset.ts';
import type { RenderedMail, Template, TemplateContext } from './types.ts';
import { verifyEmail } from './verify-email.ts';
import { passkeyRegistered, passkeyRemoved } from '@authgate/features/passkeys/mail';

const TEMPLATES: { [K in MailKind]: Template<K> } = {
  verify_email: verifyEmail,
  password_reset: passwordReset,
  device_code: deviceCode,
  password_changed: passwordChanged,
  new_sign_in: newSignIn,
  refresh_reuse: refreshReuse,
  mfa_enabled: mfaEnabled,
  mfa_disabled: mfaDisabled,
  passkey_registered: passkeyRegistered,
  passkey_removed: passkeyRemoved,
};

/** The subject, text and HTML of one job. */
export function renderMail(job: MailJob, ctx: TemplateContext): RenderedMail {
  const template = TEMPLATES[job.kind] as Template<MailKind>;
  return template(job as never, ctx);
}

export type { RenderedMail, TemplateContext };
