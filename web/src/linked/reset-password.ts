import { AuthgateError, type AuthgateClient } from '@authgate/client';
import { field, form, h, text } from '../dom.ts';
import { describe } from '../messages.ts';
import { forgotPasswordForm } from './forgot-password.ts';

/**
 * The reset link of a mail (`/reset-password#token=`): a "New password" field whose submit sets it
 * with the link's token. Every session of the account ends with it (this browser's too), so the
 * outcome leads to the sign-in form. A spent or expired link offers to mail a new one.
 */
export function resetPasswordScreen(client: AuthgateClient, token: string | undefined): HTMLElement {
  const screen = h('div', { class: 'screen', id: 'reset-password' });
  if (!token) {
    screen.append(
      h('p', { class: 'error', role: 'alert' }, 'This link is incomplete. Open it again from the mail, or ask for a new one here.'),
      forgotPasswordForm(client, 'Ask for a new reset link'),
    );
    return screen;
  }
  const choose = form(
    'Choose a new password',
    [
      field(
        'New password',
        { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: '8' },
        'At least 8 characters; a passphrase of a few words is best. Every session of your account will be signed out.',
      ),
    ],
    'Set new password',
    async (data) => {
      try {
        await client.resetPassword(token, text(data, 'password'));
      } catch (err) {
        if (err instanceof AuthgateError && err.code === 'invalid_token') {
          screen.replaceChildren(
            h('p', { class: 'error', role: 'alert', id: 'reset-password-spent' }, 'This reset link has expired or was already used. Ask for a new one:'),
            forgotPasswordForm(client, 'Ask for a new reset link'),
          );
          return;
        }
        throw err;
      }
      screen.dataset.outcome = 'reset';
      screen.replaceChildren(
        h(
          'section',
          { 'aria-labelledby': 'reset-done-title', id: 'reset-password-done' },
          h('h2', { id: 'reset-done-title' }, 'Your password is changed'),
          h('p', { role: 'status' }, 'Every session of your account was signed out. Sign in with your new password.'),
          h('a', { href: '/', class: 'button', id: 'to-sign-in' }, 'Sign in'),
        ),
      );
    },
    describe,
  );
  choose.id = 'reset-password-form';
  screen.append(choose);
  return screen;
}
