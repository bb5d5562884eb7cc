import type { AuthgateClient } from '@authgate/client';
import { h } from '../dom.ts';
import { describe } from '../messages.ts';

/**
 * The account's address on the account screen: confirmed, or not yet, with a button that mails a
 * new verification link (the way on from a lost or expired link).
 */
export function emailStatus(client: AuthgateClient): HTMLElement {
  const title = h('h2', { id: 'email-title' }, 'Email address');
  const section = h('section', { id: 'email', 'aria-labelledby': 'email-title' }, title);
  client.me().then(
    (me) => {
      if (me.emailVerified) {
        section.replaceChildren(title, h('p', { id: 'email-state', 'data-verified': 'true' }, `${me.email} is confirmed.`));
        return;
      }
      const done = h('p', { class: 'ok', role: 'status' });
      const problem = h('p', { class: 'error', role: 'alert' });
      const resend = h('button', { type: 'button', id: 'email-resend' }, 'Send me a new link');
      resend.addEventListener('click', () => {
        resend.disabled = true;
        problem.textContent = '';
        client.resendVerification().then(
          () => {
            done.textContent = `A new link is on its way to ${me.email}.`;
          },
          (err: unknown) => {
            resend.disabled = false;
            problem.textContent = describe(err);
          },
        );
      });
      section.replaceChildren(
        title,
        h('p', { id: 'email-state', 'data-verified': 'false' }, `${me.email} is not confirmed yet: open the link of the mail we sent you.`),
        resend,
        done,
        problem,
      );
    },
    (err: unknown) => section.replaceChildren(title, h('p', { class: 'error', role: 'alert' }, describe(err))),
  );
  return section;
}
