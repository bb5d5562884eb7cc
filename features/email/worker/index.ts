import { defineWorker } from '@authgate/worker/feature';
import { NEEDS } from './drivers.ts';
import { emailResend } from './email-resend.ts';
import { emailVerify } from './email-verify.ts';

/**
 * The feature's handlers, by command kind (loaded by a worker only). The worker refuses to start when
 * one of the contract's commands has none here, or one here is no command of it (services/worker/src/feature.ts).
 */
export default defineWorker({
  needs: NEEDS,
  handlers: {
    email_verify: emailVerify,
    email_resend: emailResend,
  },
});
