import type { ScenarioName } from '../config.ts';
import { mixed } from './mixed.ts';
import { refreshStorm } from './refresh-storm.ts';
import { restAuth } from './rest-auth.ts';
import type { Scenario } from './types.ts';
import { verifyStorm } from './verify-storm.ts';
import { wsAuth } from './ws-auth.ts';

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  'rest-auth': restAuth,
  'ws-auth': wsAuth,
  'verify-storm': verifyStorm,
  'refresh-storm': refreshStorm,
  mixed,
};
