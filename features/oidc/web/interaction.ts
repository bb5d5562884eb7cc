import { AuthgateError, type AuthgateClient } from '@authgate/client';
import { h } from '../../../web/src/dom.ts';
import { describe } from '../../../web/src/messages.ts';
import type { InteractionDetails } from '../contract.ts';
import { OIDC_PAGE_PATH } from '../paths.ts';
import { interactionCalls, type InteractionCalls } from '../sdk.ts';

/** What the page lends this module: its screen, and its sign-in screen with a notice above the form. */
export interface OpenIdPage {
  show(el: HTMLElement): void;
  signInScreen(notice: string): HTMLElement;
}

/** Scope names in words a person reads on the consent screen. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Know who you are on authgate (your account id)',
  email: 'See your email address and whether it is confirmed',
  offline_access: 'Stay signed in when you are away (refresh tokens)',
};

/**
 * `/sign-in/oidc?interaction=<uid>`: an application sent the person here to sign in with authgate.
 * The page signs in as anywhere else (password, second factor, new-device approval, passkey: whatever
 * the page offers), and whatever session it ends up with is handed to the interaction as its access
 * token. A browser already signed in continues at once, unless the application asked for a new
 * sign-in. A third-party application then gets Allow or Deny. Undefined on every other path.
 */
export function openIdSignIn(
  client: AuthgateClient,
  location: { pathname: string; search: string },
  page: OpenIdPage,
  calls: InteractionCalls = interactionCalls(),
) {
  if (location.pathname !== OIDC_PAGE_PATH) return undefined;
  const uid = new URLSearchParams(location.search).get('interaction') ?? '';
  let details: InteractionDetails | undefined;
  let handing = false;
  let leaving = false;
  /** A session that existed before this page asked for a new sign-in does not count for it. */
  let sessionAtLoad = client.current?.sessionId;

  const go = (url: string) => {
    leaving = true;
    page.show(
      h('section', { class: 'screen', id: 'oidc-continue', 'aria-busy': 'true' }, h('h2', {}, `Continuing to ${details?.client.name ?? 'the application'}…`)),
    );
    window.location.assign(url);
  };

  const problem = (message: string) =>
    page.show(
      h(
        'section',
        { class: 'screen', id: 'oidc-problem' },
        h('h2', {}, 'This sign-in cannot go on'),
        h('p', { class: 'error', role: 'alert' }, message),
        h('p', {}, 'Go back to the application and start again.'),
      ),
    );

  const signInFirst = (words?: string) => {
    if (!details) return;
    const notice = details.freshSignIn ? `${details.client.name} asks you to sign in again.` : `Sign in to continue to ${details.client.name}.`;
    const screen = page.signInScreen(words ? `${words} ${notice}` : notice);
    screen.id = 'oidc-sign-in';
    const email = screen.querySelector<HTMLInputElement>('#sign-in input[name=email]');
    if (email && details.loginHint) email.value = details.loginHint;
    page.show(screen);
  };

  /** The session the page holds goes to the interaction as its access token. */
  const handOver = async () => {
    if (!details || handing || leaving) return;
    handing = true;
    try {
      go(await calls.signIn(uid, await client.accessToken()));
    } catch (err) {
      // The interaction itself is gone (expired, another browser's): nothing to sign in for.
      if (err instanceof AuthgateError && err.code === 'not_found') problem(describe(err));
      else {
        // Its session ended meanwhile, or is not recent enough: a sign-in here makes a new one.
        sessionAtLoad = client.current?.sessionId;
        signInFirst(describe(err));
      }
    } finally {
      handing = false;
    }
  };

  const consentScreen = (asked: InteractionDetails) => {
    const error = h('p', { class: 'error', role: 'alert' });
    const decide = (decision: 'allow' | 'deny') => async () => {
      for (const button of buttons) button.disabled = true;
      try {
        go(await calls.consent(uid, decision));
      } catch (err) {
        error.textContent = describe(err);
        for (const button of buttons) button.disabled = false;
      }
    };
    const allow = h('button', { type: 'button', id: 'oidc-allow' }, 'Allow');
    const deny = h('button', { type: 'button', id: 'oidc-deny', class: 'quiet' }, 'Deny');
    const buttons = [allow, deny];
    allow.addEventListener('click', decide('allow'));
    deny.addEventListener('click', decide('deny'));
    return h(
      'section',
      { class: 'screen', id: 'oidc-consent', 'aria-labelledby': 'oidc-consent-title' },
      h('h2', { id: 'oidc-consent-title' }, `${asked.client.name} asks to`),
      h('ul', {}, ...asked.scopes.map((scope) => h('li', { 'data-scope': scope }, SCOPE_WORDS[scope] ?? scope))),
      error,
      h('p', {}, allow, ' ', deny),
    );
  };

  const render = () => {
    if (!details || leaving) return;
    if (details.prompt === 'consent') page.show(consentScreen(details));
    else if (client.current && !(details.freshSignIn && client.current.sessionId === sessionAtLoad)) void handOver();
    else signInFirst();
  };

  return {
    title: 'Sign in to continue',
    /** Asks the interaction what it needs; until then the page says it is loading. */
    async start(): Promise<void> {
      page.show(h('section', { class: 'screen', 'aria-busy': 'true' }, h('h2', {}, 'Signing in with authgate…')));
      try {
        details = await calls.details(uid);
      } catch (err) {
        problem(describe(err));
        return;
      }
      render();
    },
    /** The page's session changed (signed in, or out): the interaction goes on accordingly. */
    sessionChanged: render,
  };
}
