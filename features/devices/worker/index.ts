import { defineWorker } from '@authgate/worker/feature';
import { NEEDS } from './drivers.ts';
import { deviceApprove, deviceComplete, deviceDeny, deviceVerify } from './handlers.ts';

/**
 * The feature's handlers, by command kind (loaded by a worker only). The worker refuses to start when
 * one of the contract's commands has none here, or one here is no command of it (services/worker/src/feature.ts).
 */
export default defineWorker({
  needs: NEEDS,
  handlers: {
    device_approve: deviceApprove,
    device_deny: deviceDeny,
    device_verify: deviceVerify,
    device_complete: deviceComplete,
  },
});
