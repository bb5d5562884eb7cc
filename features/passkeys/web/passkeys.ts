import { AuthgateError, type AuthgateClient, type PasskeyInfo, passkeysSupported } from '@authgate/client';
import { field, form, h, text, when } from '../../../web/src/dom.ts';
import { describe } from '../../../web/src/messages.ts';
import './passkeys.css';

/** A refused or failed passkey ceremony in words: the browser's DOMExceptions and the gateway's errors. */
export function passkeyWords(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  if (name === 'NotAllowedError') return 'No passkey was used: it was cancelled, it timed out, or this device has no passkey for this site.';
  if (name === 'InvalidStateError') return 'This device already holds one of your passkeys.';
  if (name === 'SecurityError') return 'Passkeys do not work at this address.';
  if (name === 'NotSupportedError') return 'This browser cannot use passkeys.';
  if (err instanceof AuthgateError && err.code === 'invalid_credentials') return 'That passkey was not accepted. It may have been removed from its account.';
  // The gateway says why passkeys are off (its PUBLIC_URL has an IP address for its host).
  if (err instanceof AuthgateError && err.code === 'forbidden') return err.message;
  return describe(err);
}

/** Signed out: "Sign in with a passkey", no email typed; the client's `signed_in` event shows the account. Not offered without WebAuthn. */
export function passkeySignIn(client: AuthgateClient): HTMLElement | null {
  if (!passkeysSupported()) return null;
  const error = h('p', { class: 'error', role: 'alert', id: 'passkey-sign-in-error' });
  const button = h('button', { type: 'button', id: 'passkey-sign-in' }, 'Sign in with a passkey');
  button.addEventListener('click', () => {
    error.textContent = '';
    button.disabled = true;
    client
      .signInWithPasskey()
      .catch((err: unknown) => {
        error.textContent = passkeyWords(err);
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  return h(
    'section',
    { id: 'passkey', 'aria-labelledby': 'passkey-title' },
    h('h2', { id: 'passkey-title' }, 'Passkey'),
    h('p', {}, 'Sign in with a passkey saved on this device or your phone: no password, no code.'),
    error,
    button,
  );
}

/** Signed in: the account's passkeys with "Remove", and "Add a passkey" (with a name). */
export function passkeysSection(client: AuthgateClient, announce: (words: string) => void): { el: HTMLElement; dispose: () => void } {
  const list = h('ul', { class: 'sessions passkeys', id: 'passkey-list', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert', id: 'passkeys-error' });
  const load = async () => {
    try {
      const passkeys = await client.listPasskeys();
      list.replaceChildren(...(passkeys.length ? passkeys.map(item) : [h('li', { class: 'empty' }, 'No passkey yet.')]));
      error.textContent = '';
    } catch (err) {
      error.textContent = passkeyWords(err);
    }
  };
  const item = (passkey: PasskeyInfo) => {
    const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove the passkey ${passkey.name}` }, 'Remove');
    remove.addEventListener('click', () => {
      remove.disabled = true;
      client.deletePasskey(passkey.id).then(
        () => {
          announce(`The passkey ${passkey.name} was removed.`);
          void load();
        },
        (err: unknown) => {
          remove.disabled = false;
          error.textContent = passkeyWords(err);
        },
      );
    });
    return h(
      'li',
      { 'data-passkey': passkey.id },
      h(
        'div',
        { class: 'session-text' },
        h('strong', {}, passkey.name),
        h('small', {}, `Added ${when(passkey.createdAt)} · last used ${passkey.lastUsedAt ? when(passkey.lastUsedAt) : 'never'}`),
      ),
      remove,
    );
  };
  const add = form(
    'Add a passkey',
    [field('Name', { name: 'name', maxlength: '64', placeholder: 'This laptop', autocomplete: 'off' }, 'To tell your passkeys apart; optional.')],
    'Add a passkey',
    async (data) => {
      const name = text(data, 'name').trim();
      const added = await client.registerPasskey(name || undefined);
      add.reset();
      announce(`The passkey ${added.name} was added.`);
      await load();
    },
    passkeyWords,
  );
  add.id = 'passkey-add';
  const adding = passkeysSupported()
    ? add
    : h('p', { class: 'notice' }, 'This browser cannot make passkeys; the ones listed here still sign in where they are kept.');
  const offs = [client.on('passkey.registered', () => void load()), client.on('passkey.removed', () => void load())];
  void load();
  const el = h(
    'section',
    { id: 'passkeys', 'aria-labelledby': 'passkeys-title' },
    h('h2', { id: 'passkeys-title' }, 'Passkeys'),
    h('p', {}, 'A passkey signs you in without your password, a code or a device approval.'),
    error,
    list,
    adding,
  );
  return {
    el,
    dispose: () => {
      for (const off of offs) off();
    },
  };
}
