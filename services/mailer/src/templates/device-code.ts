import { html } from './html.ts';
import { layout, originLines, originList } from './layout.ts';
import type { Template } from './types.ts';

export const deviceCode: Template<'device_code'> = (job, ctx) => {
  const { code, expiresInMinutes } = job.data;
  const subject = `Your ${ctx.product} sign-in code`;
  return {
    subject,
    text: [
      `A sign-in to ${ctx.product} from a new device is waiting for this code:`,
      '',
      `    ${code}`,
      '',
      ...originLines(job.data),
      '',
      `The code works for ${expiresInMinutes} minutes. If it was not you, do not share it and change your password.`,
    ].join('\n'),
    html: layout(
      subject,
      html`<p>A sign-in to ${ctx.product} from a new device is waiting for this code:</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:6px;font-family:ui-monospace,monospace">${code}</p>
${originList(job.data)}
<p style="font-size:13px;color:#555">The code works for ${expiresInMinutes} minutes. If it was not you, do not share it and change your password.</p>`,
    ),
  };
};
