import { AuthgateError, type AuthgateClient } from '@authgate/client';
import { h } from '../dom.ts';
import { describe } from '../messages.ts';
import { nextStep } from './next-step.ts';

/**
 * The verification link of a mail (`/verify-email#token=`): the token is posted at once, and the
 * outcome said in words; the page needs no session for it.
 */
export function verifyEmailScreen(client: AuthgateClient, token: string | undefined): HTMLElement {
  const status = h('p', { role: 'status', id: 'verify-email-status' }, 'Confirming your email address…');
  const error = h('p', { class: 'error', role: 'alert', id: 'verify-email-error' });
  const screen = h(
    'section',
    { class: 'screen', id: 'verify-email', 'aria-labelledby': 'verify-email-title', 'aria-busy': 'true' },
    h('h2', { id: 'verify-email-title' }, 'Confirm your email address'),
    status,
    error,
  );
  const failed = (words: string, ...after: HTMLElement[]) => {
    screen.removeAttribute('aria-busy');
    status.textContent = '';
    error.textContent = words;
    screen.append(...after);
  };
  if (!token) {
    failed('This link is incomplete. Open it again from the mail, or copy the whole address into the browser.', resendOrSignIn(client));
    return screen;
  }
  client.verifyEmail(token).then(
    () => {
      screen.removeAttribute('aria-busy');
      screen.dataset.outcome = 'verified';
      status.textContent = 'Your email address is confirmed. Thank you!';
      screen.append(nextStep(client));
    },
    (err: unknown) => {
      screen.dataset.outcome = 'failed';
      if (!(err instanceof AuthgateError && err.code === 'invalid_token')) {
        failed(
          describe(err),
          retry(() => screen.replaceWith(verifyEmailScreen(client, token))),
        );
        return;
      }
      const spent = 'This link has expired or was already used.';
      // Signed in, the account says whether a new link is needed at all (a verified address gets none).
      const verified = client.current
        ? client.me().then(
            (me) => me.emailVerified,
            () => false,
          )
        : Promise.resolve(false);
      void verified.then((yes) =>
        yes
          ? failed(`${spent} Your email address is confirmed already: nothing more to do.`, nextStep(client))
          : failed(`${spent} If your address is not confirmed yet, ask for a new link.`, resendOrSignIn(client)),
      );
    },
  );
  return screen;
}

/** Signed in: a button that mails a new link. Signed out: the way to sign in, where the account screen offers one. */
function resendOrSignIn(client: AuthgateClient): HTMLElement {
  if (!client.current) return h('div', {}, h('p', {}, 'Signed in, your account page can send you a new link.'), nextStep(client));
  const done = h('p', { class: 'ok', role: 'status' });
  const problem = h('p', { class: 'error', role: 'alert' });
  const resend = h('button', { type: 'button', id: 'verify-email-resend' }, 'Send me a new link');
  resend.addEventListener('click', () => {
    resend.disabled = true;
    problem.textContent = '';
    client.resendVerification().then(
      () => {
        done.textContent = `A new link is on its way to ${client.current?.user.email ?? 'your address'}.`;
      },
      (err: unknown) => {
        resend.disabled = false;
        problem.textContent = describe(err);
      },
    );
  });
  return h('div', {}, h('div', { class: 'actions start' }, resend, nextStep(client)), done, problem);
}

function retry(again: () => void): HTMLElement {
  const button = h('button', { type: 'button' }, 'Try again');
  button.addEventListener('click', again);
  return h('div', { class: 'actions start' }, button);
}
