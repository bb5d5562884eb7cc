import type { AuthgateClient } from '@authgate/client';
import { h } from '../dom.ts';

/** The way on from a link's page: to the account when signed in, else to the sign-in form. */
export function nextStep(client: AuthgateClient): HTMLElement {
  return client.current
    ? h('a', { href: '/', class: 'button', id: 'to-account' }, 'Continue to your account')
    : h('a', { href: '/', class: 'button', id: 'to-sign-in' }, 'Sign in');
}
