import { verifyEmailLink } from '../links.ts';
import { html } from './html.ts';
import { button, layout } from './layout.ts';
import type { Template } from './types.ts';

export const verifyEmail: Template<'verify_email'> = (job, ctx) => {
  const link = verifyEmailLink(ctx.publicUrl, job.data.token);
  const subject = `Confirm your email address for ${ctx.product}`;
  return {
    subject,
    text: [
      `Confirm that ${job.to} is your email address for ${ctx.product} by opening this link:`,
      '',
      link,
      '',
      'The link works once, for 24 hours. If you did not create an account, ignore this mail.',
    ].join('\n'),
    html: layout(
      subject,
      html`<p>Confirm that <strong>${job.to}</strong> is your email address for ${ctx.product}.</p>
${button(link, 'Confirm email address')}
<p style="font-size:13px;color:#555">The link works once, for 24 hours. If you did not create an account, ignore this mail.</p>`,
    ),
  };
};
