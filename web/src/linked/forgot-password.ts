import type { AuthgateClient } from '@authgate/client';
import { field, form, h, text } from '../dom.ts';
import { describe } from '../messages.ts';

/** Asks for a reset mail. The answer is the same whether the address has an account or not. */
export function forgotPasswordForm(client: AuthgateClient, title = 'Forgot your password?'): HTMLFormElement {
  const sent = h('p', { class: 'ok', role: 'status' });
  const ask = form(
    title,
    [field('Email', { name: 'email', type: 'email', autocomplete: 'username', required: true })],
    'Send me a reset link',
    async (data) => {
      sent.textContent = '';
      await client.forgotPassword(text(data, 'email').trim());
      sent.textContent = 'If an account uses this address, a link to choose a new password is on its way. It works once, for 30 minutes.';
    },
    describe,
  );
  ask.id = 'forgot-password';
  ask.append(sent);
  return ask;
}

/** The forgot form folded under a summary, for the sign-in screen. */
export function forgotPasswordDisclosure(client: AuthgateClient): HTMLElement {
  return h('details', { class: 'forgot' }, h('summary', {}, 'Forgot your password?'), forgotPasswordForm(client, 'Reset your password'));
}
