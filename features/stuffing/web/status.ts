import type { AuthgateClient } from '@authgate/client';
import { h } from '../../../web/src/dom.ts';

/**
 * Signed out: says so while the SDK solves a sign-in's proof of work (credential stuffing defence),
 * which takes about a second at most, in a Web Worker. A live region: screen readers hear it too.
 * The listener goes when the screen does.
 */
export function challengeStatus(client: AuthgateClient): HTMLElement {
  const status = h('p', { class: 'notice', role: 'status', id: 'challenge-status', hidden: true });
  const stop = client.on('challenge', (progress) => {
    if (!status.isConnected && status.dataset.shown) {
      stop();
      return;
    }
    status.dataset.shown = 'yes';
    status.hidden = progress.state !== 'solving';
    status.textContent = progress.state === 'solving' ? 'Checking your browser… (many sign-in attempts right now: this takes a moment)' : '';
  });
  return status;
}
