import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { MAIL_KINDS, type MailJobOf, type MailKind } from '@authgate/shared/mail/job';
import { PAGE_PATHS } from '@authgate/shared/page-paths';
import { renderMail } from '../services/mailer/src/templates/render.ts';
import { EDGE_CATCH_ALL, edgeRoutes } from './contract/served-routes.ts';

/**
 * Every link of every mail template leads to a page the gateway serves: rendered here for each kind
 * (a new kind needs its sample below, or this file does not compile), each address in the text and
 * HTML parts checked against PUBLIC_URL and the GET routes the edge registers (the page is built).
 */
const PUBLIC_URL = 'https://auth.example.test/app';
const TOKEN = 'q3V9'.repeat(11);
const origin = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', at: '2026-01-31T14:05:00.000Z' };
const common = { v: 1 as const, to: 'ada@example.com', createdAt: origin.at };

const SAMPLES: { [K in MailKind]: MailJobOf<K> } = {
  verify_email: { ...common, id: randomUUID(), kind: 'verify_email', data: { token: TOKEN } },
  password_reset: { ...common, id: randomUUID(), kind: 'password_reset', data: { token: TOKEN } },
  device_code: { ...common, id: randomUUID(), kind: 'device_code', data: { code: '123456', ...origin, expiresInMinutes: 10 } },
  password_changed: { ...common, id: randomUUID(), kind: 'password_changed', data: origin },
  new_sign_in: { ...common, id: randomUUID(), kind: 'new_sign_in', data: origin },
  refresh_reuse: { ...common, id: randomUUID(), kind: 'refresh_reuse', data: origin },
  mfa_enabled: { ...common, id: randomUUID(), kind: 'mfa_enabled', data: origin },
  mfa_disabled: { ...common, id: randomUUID(), kind: 'mfa_disabled', data: { ...origin, by: 'administrator' } },
  passkey_registered: { ...common, id: randomUUID(), kind: 'passkey_registered', data: origin },
  passkey_removed: { ...common, id: randomUUID(), kind: 'passkey_removed', data: origin },
};

/** Every http(s) address in a text: the text part's bare links and the HTML part's hrefs alike. */
const addressesIn = (text: string) => [...text.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0].replace(/&amp;/g, '&'));

test('every link of every mail kind is under PUBLIC_URL, at a path the edge serves the page at', () => {
  const served = new Set(
    edgeRoutes()
      .filter((r) => r.method === 'GET' && r.path !== EDGE_CATCH_ALL)
      .map((r) => r.path),
  );
  assert.ok(served.has('/'), 'the page is built (npm run build:web): the edge serves /');
  const linked = new Set<string>();
  for (const kind of MAIL_KINDS) {
    const mail = renderMail(SAMPLES[kind], { publicUrl: PUBLIC_URL, product: 'authgate' });
    for (const address of [...addressesIn(mail.text), ...addressesIn(mail.html.value)]) {
      assert.ok(address.startsWith(`${PUBLIC_URL}/`), `${kind}: ${address} is not under PUBLIC_URL`);
      const path = new URL(address).pathname.slice(new URL(PUBLIC_URL).pathname.length);
      assert.ok(served.has(path), `${kind}: ${address} leads to ${path}, which the edge does not serve`);
      linked.add(path);
    }
  }
  // The paths the page knows are the ones the mails use: none forgotten, none left over.
  assert.deepEqual([...linked].sort(), Object.values(PAGE_PATHS).sort());
});
