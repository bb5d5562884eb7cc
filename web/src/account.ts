import { AuthgateError, type AccountEvent, type AuthgateClient, type LiveEventMap, type SessionInfo } from '@authgate/client';
import { field, form, h, text, when } from './dom.ts';
import { emailStatus } from './linked/email-status.ts';
import { describe } from './messages.ts';
import { passkeysSection } from '../../features/passkeys/web/passkeys.ts';

/** The signed-in screen: pending device approvals, second factor, sessions, the event trail. */
export function accountScreen(client: AuthgateClient, announce: (words: string) => void): { el: HTMLElement; dispose: () => void } {
  const approvals = h('div', { id: 'approvals' });
  const mfa = h('section', { id: 'mfa', 'aria-labelledby': 'mfa-title' }, h('h2', { id: 'mfa-title' }, 'Two-factor authentication'));
  const sessionsList = h('ul', { class: 'sessions', 'aria-live': 'polite' });
  const sessionsError = h('p', { class: 'error', role: 'alert' });
  const eventsList = h('ol', { class: 'events' });
  const eventsError = h('p', { class: 'error', role: 'alert' });
  const more = h('button', { type: 'button', hidden: true }, 'Older events');
  let next: string | null = null;

  const loadSessions = async () => {
    try {
      const sessions = await client.sessions();
      // This device first, then the others as the server orders them (newest first).
      const ordered = [...sessions.filter((s) => s.current), ...sessions.filter((s) => !s.current)];
      sessionsList.replaceChildren(...ordered.map((s) => sessionItem(s)));
      sessionsError.textContent = '';
    } catch (err) {
      sessionsError.textContent = describe(err);
    }
  };
  const sessionItem = (s: SessionInfo) => {
    const revoke = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Revoke the session of device ${s.deviceId ? s.deviceId.slice(0, 8) : 'unknown'}` },
      'Revoke',
    );
    revoke.addEventListener('click', () => {
      revoke.disabled = true;
      client.revokeSession(s.id).then(loadSessions, (err: unknown) => {
        revoke.disabled = false;
        sessionsError.textContent = describe(err);
      });
    });
    return h(
      'li',
      { 'data-session': s.id, class: s.current ? 'current' : '' },
      h(
        'div',
        { class: 'session-text' },
        h('strong', {}, s.current ? 'This device' : `Device ${s.deviceId ? s.deviceId.slice(0, 8) : 'unknown'}`),
        h('span', {}, ` · ${s.ip ?? '?'} · ${shortAgent(s.userAgent)}`),
        h('small', {}, `Signed in ${when(s.createdAt)} · last used ${when(s.lastUsedAt)}`),
      ),
      s.current ? null : revoke,
    );
  };
  const loadEvents = async (reset: boolean) => {
    try {
      const page = await client.events({ limit: 20, ...(reset || !next ? {} : { before: next }) });
      const items = page.events.map(eventItem);
      if (reset) eventsList.replaceChildren(...items);
      else eventsList.append(...items);
      next = page.next;
      more.hidden = !next;
      eventsError.textContent = '';
    } catch (err) {
      eventsError.textContent = describe(err);
    }
  };
  more.addEventListener('click', () => void loadEvents(false));

  // While this page enrols (the QR code, then the recovery codes, shown once), the section is its own.
  const enrolment = { active: false };
  const showMfa = async () => {
    const title = mfa.firstElementChild as HTMLElement;
    try {
      const me = await client.me();
      if (enrolment.active) return;
      if (me.mfaEnabled) {
        mfa.replaceChildren(title, h('p', { id: 'mfa-state' }, 'On: signing in asks for a code from your authenticator app.'));
        return;
      }
      const start = h('button', { type: 'button', id: 'mfa-start' }, 'Set up an authenticator app');
      start.addEventListener('click', () => {
        enrolment.active = true;
        mfa.replaceChildren(title, passwordFirst(client, mfa, title, announce));
        mfa.querySelector('input')?.focus();
      });
      mfa.replaceChildren(title, h('p', { id: 'mfa-state' }, 'Off: your password alone signs you in.'), start);
    } catch (err) {
      mfa.replaceChildren(title, h('p', { class: 'error', role: 'alert' }, describe(err)));
    }
  };

  const onApproval = (data: LiveEventMap['device.approval_requested']) => approvals.prepend(approvalPrompt(client, data, announce));
  // The trail is written in batches (AUDIT_BATCH_WAIT_MS): what just happened shows a moment later.
  const trailSoon = () => {
    const timer = setTimeout(() => void loadEvents(true), 1_000);
    timers.push(timer);
  };
  const timers: ReturnType<typeof setTimeout>[] = [];
  const refreshLists = () => {
    void loadSessions();
    trailSoon();
  };
  const offs = [
    client.on('device.approval_requested', onApproval),
    client.on('security.new_sign_in', (data) => {
      announce(`New sign-in from ${data.ip} (${shortAgent(data.userAgent)}).`);
      refreshLists();
    }),
    client.on('session.revoked', refreshLists),
    // Turned on from another session: say so. Not while this page enrols: its recovery codes are shown once.
    client.on('mfa.enabled', () => {
      if (!enrolment.active) void showMfa();
    }),
  ];

  const revokeOthers = h('button', { type: 'button', class: 'danger', id: 'revoke-others' }, 'Sign out all other sessions');
  revokeOthers.addEventListener('click', () => {
    client.revokeOtherSessions().then(loadSessions, (err: unknown) => {
      sessionsError.textContent = describe(err);
    });
  });
  const signOut = h('button', { type: 'button', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => void client.logout().catch(() => {}));

  const reload = h('button', { type: 'button', id: 'events-refresh', class: 'quiet' }, 'Refresh');
  reload.addEventListener('click', () => void loadEvents(true));

  void loadSessions();
  void loadEvents(true);
  trailSoon();
  void showMfa();
  const passkeys = passkeysSection(client, announce);
  const el = h(
    'div',
    { class: 'screen account' },
    approvals,
    h('div', { class: 'actions' }, signOut),
    emailStatus(client),
    mfa,
    passkeys.el,
    h(
      'section',
      { id: 'sessions', 'aria-labelledby': 'sessions-title' },
      h('h2', { id: 'sessions-title' }, 'Your sessions'),
      sessionsError,
      sessionsList,
      revokeOthers,
    ),
    h(
      'section',
      { id: 'events', 'aria-labelledby': 'events-title' },
      h('div', { class: 'heading' }, h('h2', { id: 'events-title' }, 'Account activity'), reload),
      eventsError,
      eventsList,
      more,
    ),
  );
  return {
    el,
    dispose: () => {
      for (const off of offs) off();
      for (const timer of timers) clearTimeout(timer);
      passkeys.dispose();
    },
  };
}

function eventItem(event: AccountEvent): HTMLElement {
  return h(
    'li',
    { 'data-type': event.type },
    h('strong', {}, EVENT_WORDS[event.type] ?? event.type),
    h('small', {}, ` ${when(event.at)} · ${event.ip ?? '?'}${event.deviceId ? ` · ${event.deviceId.slice(0, 8)}` : ''}`),
  );
}

const EVENT_WORDS: Record<string, string> = {
  register: 'Account created',
  'login.succeeded': 'Signed in',
  'login.failed': 'Failed sign-in attempt',
  'login.mfa_required': 'Password accepted, second factor asked',
  'mfa.enabled': 'Two-factor authentication turned on',
  'mfa.disabled': 'Two-factor authentication turned off',
  'mfa.failed': 'Wrong two-factor code',
  'device.approval_requested': 'New device waiting for approval',
  'device.approved': 'New device approved',
  'device.denied': 'New device denied',
  'refresh.reuse_detected': 'A copied session was used: session ended',
  logout: 'Signed out',
  'session.revoked': 'Session ended',
  'email.verified': 'Email verified',
  'password.changed': 'Password changed',
  'password.check_failed': 'Wrong password given while signed in',
  'password.reset': 'Password reset',
  'account.disabled': 'Account disabled by an administrator',
  'account.enabled': 'Account enabled again by an administrator',
  'passkey.registered': 'Passkey added',
  'passkey.removed': 'Passkey removed',
};

/** The live prompt on an open session when a new device signs in with the right password. */
function approvalPrompt(client: AuthgateClient, data: LiveEventMap['device.approval_requested'], announce: (words: string) => void): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const approve = h('button', { type: 'button', class: 'primary' }, 'Yes, it is me');
  const deny = h('button', { type: 'button', class: 'danger' }, 'No, deny it');
  const titleId = `approval-${data.verificationId.slice(0, 8)}`;
  const prompt = h(
    'section',
    { class: 'approval', role: 'alertdialog', 'aria-labelledby': titleId, 'data-verification': data.verificationId },
    h('h2', { id: titleId }, 'Is this you signing in?'),
    h('p', {}, `A new device is signing in to your account from ${data.ip} (${shortAgent(data.userAgent)}) at ${when(data.at)}.`),
    error,
    h('div', { class: 'actions' }, approve, deny),
  );
  const decide = (yes: boolean) => {
    approve.disabled = deny.disabled = true;
    (yes ? client.approveDevice(data.verificationId) : client.denyDevice(data.verificationId)).then(
      () => {
        prompt.remove();
        announce(yes ? 'The new device was approved.' : 'The new device was denied.');
      },
      (err: unknown) => {
        approve.disabled = deny.disabled = false;
        error.textContent = describe(err);
      },
    );
  };
  approve.addEventListener('click', () => decide(true));
  deny.addEventListener('click', () => decide(false));
  queueMicrotask(() => approve.focus());
  return prompt;
}

/** Before enrolment, the current password: a session left open (or a stolen token) alone cannot turn the second factor on. */
function passwordFirst(client: AuthgateClient, section: HTMLElement, title: HTMLElement, announce: (words: string) => void): HTMLFormElement {
  const confirm = form(
    'Confirm it is you',
    [field('Current password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })],
    'Continue',
    (data) => enrol(client, section, title, announce, text(data, 'password')),
    (err) => (err instanceof AuthgateError && err.code === 'invalid_credentials' ? 'That is not your current password.' : describe(err)),
  );
  confirm.id = 'mfa-password';
  return confirm;
}

/** TOTP enrolment: the QR code of the otpauth URL (and the secret, to type), then a code to confirm. */
async function enrol(client: AuthgateClient, section: HTMLElement, title: HTMLElement, announce: (words: string) => void, password: string): Promise<void> {
  const setup = await client.setupTotp(password);
  // Loaded on demand: the QR library is most of the page's script, and only enrolment needs it.
  const { default: QRCode } = await import('qrcode');
  const qr = await QRCode.toDataURL(setup.otpauthUrl, { margin: 1, width: 220, errorCorrectionLevel: 'M' });
  const confirm = form(
    'Confirm with a code',
    [field('Code from your authenticator app', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', required: true })],
    'Turn on two-factor authentication',
    async (data) => {
      const { recoveryCodes } = await client.confirmTotp(text(data, 'code').trim());
      announce('Two-factor authentication is on.');
      section.replaceChildren(
        title,
        h('p', { id: 'mfa-state' }, 'On. Keep these recovery codes somewhere safe: each signs you in once if you lose your authenticator.'),
        h('ol', { class: 'recovery', id: 'recovery-codes' }, ...recoveryCodes.map((code) => h('li', {}, h('code', {}, code)))),
      );
    },
    describe,
  );
  confirm.id = 'mfa-confirm';
  section.replaceChildren(
    title,
    h('p', {}, 'Scan this code with your authenticator app, then enter the six digits it shows.'),
    h('img', { src: qr, alt: 'QR code to add this account to an authenticator app', width: '220', height: '220', id: 'mfa-qr' }),
    h('p', {}, 'Cannot scan? Enter this key: ', h('code', { id: 'mfa-secret' }, setup.secret)),
    confirm,
  );
}

function shortAgent(agent: string | null | undefined): string {
  if (!agent) return 'unknown browser';
  const match = /(Firefox|Edg|Chrome|Chromium|Safari|HeadlessChrome|node|curl)\/[\d.]+/.exec(agent);
  return match ? match[0] : agent.slice(0, 40);
}
