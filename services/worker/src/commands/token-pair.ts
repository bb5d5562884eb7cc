import type { Drivers } from '../feature.ts';
import type { TokenPair } from '@authgate/shared/protocol';
import type { SignedIn } from '@authgate/features/sessions/stores/sessions';

export async function tokenPair(
  ctx: Drivers<'signer'>,
  user: { id: string; email: string },
  sid: string,
  refreshToken: string,
  signedIn: SignedIn,
): Promise<TokenPair> {
  return {
    accessToken: await ctx.signer.sign(user.id, sid, signedIn),
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: ctx.signer.ttlSeconds,
    sessionId: sid,
    user: { id: user.id, email: user.email },
  };
}
