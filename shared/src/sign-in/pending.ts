import type { DeviceVerifications } from '@authgate/features/devices/stores/verifications';
import type { MfaChallengeStore } from '@authgate/features/second-factor/stores/challenges';

/** The stores of sign-ins stopped halfway: a right password waiting for its second factor or its new device's approval. */
export interface PendingSignInStores {
  mfaChallenges: MfaChallengeStore;
  deviceVerifications: DeviceVerifications;
}

/**
 * Ends every sign-in of the account that is waiting for its second factor (an mfaToken) or for a new
 * device's approval (a device verification). Called when what the old credentials proved no longer
 * holds: the password was reset or changed, the second factor turned off, or the account disabled
 * (docs/rest.md, "New devices"). Afterwards the old mfaToken is `invalid_token` and the old
 * verification `not_found`.
 */
export async function endPendingSignIns(stores: PendingSignInStores, userId: string): Promise<{ mfaTokens: number; deviceVerifications: number }> {
  const [mfaTokens, deviceVerifications] = await Promise.all([stores.mfaChallenges.endAllOf(userId), stores.deviceVerifications.endAllOf(userId)]);
  return { mfaTokens, deviceVerifications };
}
