import { type AuthgateClient, createClient, type LoginOutcome } from '@authgate/client';
import { accountScreen } from './account.ts';
import { deviceScreen, mfaScreen } from './challenge.ts';
import { h } from './dom.ts';
import { isSecurityPage, linkedFlowScreen, SECURITY_SIGN_IN_NOTICE, showSecurity } from './linked/index.ts';
import { signedOutWords } from './messages.ts';
import { signedOutScreen } from './signed-out.ts';
import { openIdSignIn } from '../../features/oidc/web/interaction.ts';

/**
 * The page: one client over the WebSocket (REST where there is none), its session in localStorage so
 * that the tabs of this browser share it (and one refresh among them).
 */
const client: AuthgateClient = createClient({ baseUrl: location.origin, transport: 'ws', store: 'local' });
// For the browser tests and the curious: the page's own client.
(globalThis as { authgate?: AuthgateClient }).authgate = client;

const app = document.getElementById('app') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
const link = document.getElementById('link') as HTMLElement;
const notices = document.getElementById('notices') as HTMLElement;
let dispose = () => {};
// A mail's link (verify an address, reset a password) keeps its screen while sessions begin or end.
const flow = linkedFlowScreen(client, location.pathname);
// An application's OpenID sign-in: the page signs in as below, then the session goes to the application.
const openId = openIdSignIn(client, location, { show, signInScreen: (notice) => signedOutScreen(client, notice, outcome) });

function show(el: HTMLElement, cleanup = () => {}): void {
  dispose();
  dispose = cleanup;
  app.replaceChildren(el);
  const heading = el.querySelector('h2');
  heading?.setAttribute('tabindex', '-1');
}

function announce(words: string): void {
  const note = h('p', {}, words);
  notices.append(note);
  setTimeout(() => note.remove(), 10_000);
}

function signedOut(notice?: string): void {
  who.textContent = '';
  if (flow) return;
  if (openId) {
    openId.sessionChanged();
    return;
  }
  show(signedOutScreen(client, notice ?? (isSecurityPage(location.pathname) ? SECURITY_SIGN_IN_NOTICE : undefined), outcome));
}

function signedIn(): void {
  const session = client.current;
  if (!session) {
    signedOut();
    return;
  }
  who.textContent = `Signed in as ${session.user.email}`;
  document.body.dataset.state = 'signed-in';
  if (flow) return;
  if (openId) {
    openId.sessionChanged();
    return;
  }
  const { el, dispose: off } = accountScreen(client, announce);
  show(el, off);
  if (isSecurityPage(location.pathname)) showSecurity(el);
}

function outcome(result: LoginOutcome): void {
  // signed_in: the client's `signed_in` event shows the account.
  if (result.kind === 'signed_in') return;
  if (result.kind === 'mfa_required') {
    show(mfaScreen(client, result.mfaToken, outcome));
    return;
  }
  show(
    deviceScreen(
      client,
      result,
      () => {},
      (message) => signedOut(message),
    ),
  );
}

client.on('signed_in', () => signedIn());
client.on('signed_out', ({ reason }) => {
  document.body.dataset.state = 'signed-out';
  // Notices of the session that ended ("Two-factor authentication is on.") do not belong to the next screen.
  notices.replaceChildren();
  signedOut(signedOutWords(reason));
});
client.on('connection', ({ state, attempt }) => {
  link.dataset.state = state;
  link.textContent = state === 'open' ? 'Live' : state === 'reconnecting' ? `Reconnecting${attempt > 1 ? ` (try ${attempt})` : ''}…` : '';
});

if (flow) {
  document.title = `${flow.title} · ${document.title}`;
  show(flow.el);
}
if (openId) {
  document.title = `${openId.title} · ${document.title}`;
  void openId.start();
}
if (client.current) signedIn();
else {
  document.body.dataset.state = 'signed-out';
  signedOut();
}
