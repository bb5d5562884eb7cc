import { defineWorker } from '@authgate/worker/feature';
import { NEEDS } from './drivers.ts';
import { mfaTotpConfirm, mfaTotpDisable, mfaTotpSetup } from './mfa-totp.ts';
import { mfaVerify } from './mfa-verify.ts';

/**
 * The feature's handlers, by command kind (loaded by a worker only). The worker refuses to start when
 * one of the contract's commands has none here, or one here is no command of it (services/worker/src/feature.ts).
 */
export default defineWorker({
  needs: NEEDS,
  handlers: {
    mfa_totp_setup: mfaTotpSetup,
    mfa_totp_confirm: mfaTotpConfirm,
    mfa_totp_disable: mfaTotpDisable,
    mfa_verify: mfaVerify,
  },
});
