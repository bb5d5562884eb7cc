import { passwordResetLink } from '../links.ts';
import { html } from './html.ts';
import { button, layout } from './layout.ts';
import type { Template } from './types.ts';

export const passwordReset: Template<'password_reset'> = (job, ctx) => {
  const link = passwordResetLink(ctx.publicUrl, job.data.token);
  const subject = `Reset your ${ctx.product} password`;
  return {
    subject,
    text: [
      `Someone asked to reset the password of the ${ctx.product} account ${job.to}. To choose a new one, open this link:`,
      '',
      link,
      '',
      'The link works once, for 30 minutes. If it was not you, ignore this mail: your password stays as it is.',
    ].join('\n'),
    html: layout(
      subject,
      html`<p>Someone asked to reset the password of the ${ctx.product} account <strong>${job.to}</strong>.</p>
${button(link, 'Choose a new password')}
<p style="font-size:13px;color:#555">The link works once, for 30 minutes. If it was not you, ignore this mail: your password stays as it is.</p>`,
    ),
  };
};
