import { html, type SafeHtml } from './html.ts';

/** The one HTML frame around every mail: inline styles only, as mail clients strip <style>. */
export function layout(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="margin:0;padding:24px;background:#f5f5f5;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#222">
<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">
${body}
</div></body></html>`;
}

export function button(href: string, label: string): SafeHtml {
  return html`<p><a href="${href}" style="display:inline-block;padding:10px 18px;background:#1a56db;color:#fff;border-radius:6px;text-decoration:none">${label}</a></p>
<p style="font-size:13px;color:#555">Or paste this address into your browser:<br><span style="word-break:break-all">${href}</span></p>`;
}

/** A timestamp as people read it in a notice: `2026-01-31 14:05 UTC`. */
export function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** The "where from" lines of a security notice, each only if known. */
export function originLines(data: { ip?: string | undefined; userAgent?: string | undefined; at: string }): string[] {
  return [`Time: ${when(data.at)}`, ...(data.ip ? [`IP address: ${data.ip}`] : []), ...(data.userAgent ? [`Device: ${data.userAgent}`] : [])];
}

export function originList(data: { ip?: string | undefined; userAgent?: string | undefined; at: string }): SafeHtml {
  return html`<ul>${originLines(data).map((line) => html`<li>${line}</li>`)}</ul>`;
}
