import { z } from 'zod';
import { tokenSchema } from '@authgate/shared/wire-fields';
import { EMAIL_ROUTES } from './routes.ts';
import { defineFeature, type OpenApiModule, type WorkerModule } from '../feature.ts';

/** The account's email address: verify it with the mailed token, ask for another mail (docs: features/email/docs.md). */

/** `token`: the one the verification mail carries. */
export const emailVerifyBody = z.object({ token: tokenSchema });
export const emailResendBody = z.object({});

export const emailFeature = defineFeature({
  name: 'email',
  commands: [
    {
      kind: 'email_verify',
      body: emailVerifyBody,
      ...EMAIL_ROUTES.email_verify,
      lane: 'session',
    },
    {
      kind: 'email_resend',
      body: emailResendBody,
      ...EMAIL_ROUTES.email_resend,
      lane: 'session',
    },
  ],
  auditEvents: ['email.verified'],
  worker: (): WorkerModule => import('./worker/index.ts'),
  openapi: (): OpenApiModule => import('./openapi.ts'),
});
