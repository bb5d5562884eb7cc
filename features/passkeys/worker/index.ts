import type { FeatureWorker } from '@authgate/worker/feature';
import { passkeyHandlers } from './handlers.ts';

/** The feature's handlers, by command (loaded by a worker only: services/worker/src/feature.ts). */
export default { handlers: passkeyHandlers } satisfies FeatureWorker;
