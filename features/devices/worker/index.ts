import type { CommandHandler } from '@authgate/worker/context';
import type { FeatureWorker } from '@authgate/worker/feature';
import { deviceApprove, deviceComplete, deviceDeny, deviceVerify } from './handlers.ts';

/**
 * The feature's handlers, by command kind (loaded by a worker only). The worker refuses to start when
 * one of the contract's commands has none here, or one here is no command of it (services/worker/src/feature.ts).
 */
export default {
  handlers: {
    device_approve: deviceApprove,
    device_deny: deviceDeny,
    device_verify: deviceVerify,
    device_complete: deviceComplete,
  } satisfies Record<string, CommandHandler>,
} satisfies FeatureWorker;
