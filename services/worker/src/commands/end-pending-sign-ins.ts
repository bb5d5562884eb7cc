import type { Drivers } from '../feature.ts';
import type { Command } from '@authgate/shared/protocol';
import { endPendingSignIns } from '@authgate/shared/sign-in/pending';

/**
 * Every sign-in of the account still waiting for its second factor or a new device's approval ends:
 * it was begun with credentials that no longer stand (docs/rest.md, 'New devices').
 */
export async function endPendingSignInsOf(ctx: Drivers<'deviceVerifications' | 'log' | 'mfa'>, command: Command, userId: string): Promise<void> {
  const ended = await endPendingSignIns({ mfaChallenges: ctx.mfa.challenges, deviceVerifications: ctx.deviceVerifications }, userId);
  if (ended.mfaTokens + ended.deviceVerifications > 0) ctx.log.info({ requestId: command.requestId, userId, ...ended }, 'pending sign-ins ended');
}
