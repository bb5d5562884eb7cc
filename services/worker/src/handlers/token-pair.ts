import type { TokenPair } from '@authgate/shared/protocol';
import type { WorkerContext } from '../context.ts';

export async function tokenPair(ctx: WorkerContext, user: { id: string; email: string }, sid: string, refreshToken: string): Promise<TokenPair> {
  return {
    accessToken: await ctx.signer.sign(user.id, sid),
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: ctx.signer.ttlSeconds,
    sessionId: sid,
    user: { id: user.id, email: user.email },
  };
}
