import type { MailJobOf, MailKind } from '@authgate/shared/mail/job';
import { securityLink } from '../links.ts';
import { html } from './html.ts';
import { layout, originLines, originList } from './layout.ts';
import type { RenderedMail, Template, TemplateContext } from './types.ts';

type NoticeKind = Extract<
  MailKind,
  'password_changed' | 'new_sign_in' | 'refresh_reuse' | 'mfa_enabled' | 'mfa_disabled' | 'passkey_registered' | 'passkey_removed'
>;

/** Security notices: the same shape, a different headline and advice. No secret in any of them. */
export function notice(
  subjectOf: (product: string) => string,
  headline: string,
  advice: string,
): (job: MailJobOf<NoticeKind>, ctx: TemplateContext) => RenderedMail {
  return (job: MailJobOf<NoticeKind>, ctx) => {
    const subject = subjectOf(ctx.product);
    const review = securityLink(ctx.publicUrl);
    return {
      subject,
      text: [`${headline} (${ctx.product} account ${job.to})`, '', ...originLines(job.data), '', advice, `Review your sessions: ${review}`].join('\n'),
      html: layout(
        subject,
        html`<p>${headline} (${ctx.product} account <strong>${job.to}</strong>)</p>
${originList(job.data)}
<p>${advice}</p>
<p><a href="${review}">Review your sessions</a></p>`,
      ),
    };
  };
}

export const passwordChanged: Template<'password_changed'> = notice(
  (product) => `Your ${product} password was changed`,
  'The password of your account was changed.',
  'If it was you, nothing more to do. If not, reset your password now: every other session has been signed out.',
);

export const newSignIn: Template<'new_sign_in'> = notice(
  (product) => `New sign-in to your ${product} account`,
  'Your account was signed in to from a new device.',
  'If it was you, nothing more to do. If not, change your password and sign out the sessions you do not know.',
);

export const refreshReuse: Template<'refresh_reuse'> = notice(
  (product) => `A session of your ${product} account was signed out`,
  "A sign-in token of your account was used twice, which happens when a copy of it is in someone else's hands, so that session was signed out.",
  'Sign in again on your devices. If this repeats, change your password.',
);

export const mfaEnabled: Template<'mfa_enabled'> = notice(
  (product) => `Two-factor authentication was turned on for your ${product} account`,
  'Two-factor authentication was turned on for your account: signing in now asks for a code from an authenticator app.',
  'If it was you, keep your recovery codes somewhere safe. If not, reset your password now and ask an administrator to turn it off.',
);

const mfaDisabledByOwner = notice(
  (product) => `Two-factor authentication was turned off for your ${product} account`,
  'Two-factor authentication was turned off for your account: your password alone signs you in again.',
  'If it was you, nothing more to do. If not, reset your password now and turn it on again.',
);

const mfaDisabledByAdministrator = notice(
  (product) => `An administrator turned off two-factor authentication for your ${product} account`,
  'An administrator turned off two-factor authentication for your account: your password alone signs you in again.',
  'If you asked for this, sign in and set up your authenticator app again. If not, reset your password now.',
);

export const mfaDisabled: Template<'mfa_disabled'> = (job, ctx) =>
  job.data.by === 'administrator' ? mfaDisabledByAdministrator(job, ctx) : mfaDisabledByOwner(job, ctx);
