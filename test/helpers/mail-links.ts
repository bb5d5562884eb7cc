import assert from 'node:assert/strict';
import type { ParsedMail } from 'mailparser';

/** Every `href` of a mail's HTML part, as a person's click would open it (entities decoded). */
export function hrefsOf(mail: ParsedMail): string[] {
  const html = typeof mail.html === 'string' ? mail.html : '';
  return [...html.matchAll(/href="([^"]*)"/g)].map((match) =>
    match[1]!
      .replace(/&amp;/g, '&')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'"),
  );
}

/**
 * The link of a mail to `<publicUrl><path>`, as its button or link in the HTML part holds it, which
 * the text part must hold too (the same address, for mail clients that show text only). Fails when
 * the mail has none, or a link to anywhere else.
 */
export function mailLink(mail: ParsedMail, publicUrl: string, path: string): string {
  const hrefs = hrefsOf(mail);
  assert.ok(hrefs.length > 0, `"${mail.subject}" has no link in its HTML part`);
  for (const href of hrefs) assert.ok(href.startsWith(`${publicUrl}/`), `"${mail.subject}" links outside PUBLIC_URL (${publicUrl}): ${href}`);
  const link = hrefs.find((href) => new URL(href).pathname === new URL(`${publicUrl}${path}`).pathname);
  assert.ok(link, `"${mail.subject}" has no link to ${path}: ${hrefs.join(', ')}`);
  assert.ok((mail.text ?? '').includes(link), `the text part of "${mail.subject}" lacks ${link}`);
  return link;
}
