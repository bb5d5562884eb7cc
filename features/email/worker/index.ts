import type { CommandHandler } from '@authgate/worker/context';
import type { FeatureWorker } from '@authgate/worker/feature';
import { emailResend } from './email-resend.ts';
import { emailVerify } from './email-verify.ts';

/**
 * The feature's handlers, by command kind (loaded by a worker only). The worker refuses to start when
 * one of the contract's commands has none here, or one here is no command of it (services/worker/src/feature.ts).
 */
export default {
  handlers: {
    email_verify: emailVerify,
    email_resend: emailResend,
  } satisfies Record<string, CommandHandler>,
} satisfies FeatureWorker;
