import type { AuthMethod } from '@authgate/features/sessions/stores/sessions';
import { newDeviceGate } from '@authgate/features/devices/worker/new-device-gate';
import { secondFactorGate } from '@authgate/features/second-factor/worker/second-factor-gate';
import type { SignInAttempt, SignInDrivers } from './sign-in.ts';
import { verifiedEmailGate } from '@authgate/features/email/worker/verified-email-gate';

/** The steps a sign-in may be stopped at, in the order they are asked. */
export type SignInStep = 'verified_email' | 'second_factor' | 'new_device';

/**
 * One step between a right password and a session. `check` returns to let the sign-in through, or
 * throws the AppError that stops it: a refusal (`account_disabled`-like) or a challenge the client
 * answers to resume (`mfa_required`, `device_verification_required`), which then calls signIn with
 * `after` set to this step.
 */
export interface SignInGate {
  readonly step: SignInStep;
  /** Methods that already prove what this step asks: a sign-in whose `amr` holds one is not stopped here. */
  readonly satisfiedBy?: readonly AuthMethod[];
  check(attempt: SignInAttempt, ctx: SignInDrivers): Promise<void>;
}

/**
 * In order: an unverified email first (nothing else is worth asking if the account may not sign in
 * yet), then the second factor (it proves the person), then the new device (approved by a person the
 * second factor has already proven). Each flow adds its gate here.
 */
export const SIGN_IN_GATES: readonly SignInGate[] = [verifiedEmailGate, secondFactorGate, newDeviceGate];
