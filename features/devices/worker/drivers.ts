import { SIGN_IN_NEEDS } from '@authgate/worker/commands/sign-in';
import type { Drivers, FeatureHandler } from '@authgate/worker/feature';

/** The drivers the feature's handlers use: a worker hands them these and no others (services/worker/src/feature.ts). */
export const NEEDS = [...SIGN_IN_NEEDS] as const;

type Need = (typeof NEEDS)[number];
export type Ctx = Drivers<Need>;
export type Handler = FeatureHandler<Need>;
