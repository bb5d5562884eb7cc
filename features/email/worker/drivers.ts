import type { Drivers, FeatureHandler } from '@authgate/worker/feature';

/** The drivers the feature's handlers use: a worker hands them these and no others (services/worker/src/feature.ts). */
export const NEEDS = ['audit', 'log', 'users', 'emailTokens', 'mail', 'mailLimits'] as const;

type Need = (typeof NEEDS)[number];
export type Ctx = Drivers<Need>;
export type Handler = FeatureHandler<Need>;
