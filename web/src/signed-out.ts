import type { AuthgateClient, LoginOutcome } from '@authgate/client';
import { field, form, h, text } from './dom.ts';
import { forgotPasswordDisclosure } from './linked/index.ts';
import { describe } from './messages.ts';
import { passkeySignIn } from '../../features/passkeys/web/passkeys.ts';
import { challengeStatus } from '../../features/stuffing/web/status.ts';

/** Sign in and create an account, side by side; `notice` says why the visitor is signed out, if known. */
export function signedOutScreen(client: AuthgateClient, notice: string | undefined, next: (outcome: LoginOutcome) => void): HTMLElement {
  const signIn = form(
    'Sign in',
    [
      field('Email', { name: 'email', type: 'email', autocomplete: 'username', required: true }),
      field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    ],
    'Sign in',
    async (data) => next(await client.login(text(data, 'email'), text(data, 'password'))),
    describe,
  );
  signIn.id = 'sign-in';
  const registered = h('p', { class: 'ok', role: 'status' });
  const signUp = form(
    'Create an account',
    [
      field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true }),
      field(
        'Password',
        { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: '8' },
        'At least 8 characters; a passphrase of a few words is best.',
      ),
    ],
    'Create account',
    async (data) => {
      const email = text(data, 'email');
      const password = text(data, 'password');
      await client.register(email, password);
      registered.textContent = 'Account created. Signing you in…';
      next(await client.login(email, password));
    },
    describe,
  );
  signUp.id = 'sign-up';
  signUp.append(registered);
  return h(
    'div',
    { class: 'screen' },
    notice ? h('p', { class: 'notice', role: 'status', id: 'signed-out-notice' }, notice) : null,
    h('div', { class: 'pair' }, signIn, signUp),
    challengeStatus(client),
    passkeySignIn(client),
    forgotPasswordDisclosure(client),
  );
}
