import { defineWorker } from '@authgate/worker/feature';
import { NEEDS } from './drivers.ts';
import { passkeyHandlers } from './handlers.ts';

/** The feature's handlers, by command (loaded by a worker only: services/worker/src/feature.ts). */
export default defineWorker({ needs: NEEDS, handlers: passkeyHandlers });
