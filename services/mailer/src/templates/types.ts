import type { MailJobOf, MailKind } from '@authgate/shared/mail/job';
import type { SafeHtml } from './html.ts';

/** What every template is given besides its job: links are built from PUBLIC_URL only. */
export interface TemplateContext {
  publicUrl: string;
  product: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: SafeHtml;
}

export type Template<K extends MailKind> = (job: MailJobOf<K>, ctx: TemplateContext) => RenderedMail;
