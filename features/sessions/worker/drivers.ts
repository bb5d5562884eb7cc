import type { Drivers, FeatureHandler } from '@authgate/worker/feature';

/** The drivers the feature's handlers use: a worker hands them these and no others (services/worker/src/feature.ts). */
export const NEEDS = [
  'audit',
  'log',
  'sessions',
  'directory',
  'extensions',
  'live',
  'refreshGraceMs',
  'refreshTtlMs',
  'revocations',
  'signer',
  'users',
  'mail',
  'mailLimits',
] as const;

type Need = (typeof NEEDS)[number];
export type Ctx = Drivers<Need>;
export type Handler = FeatureHandler<Need>;
