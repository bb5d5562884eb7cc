import { AppError } from '@authgate/shared/errors';
import { logoutBody } from '@authgate/shared/protocol';
import { endSession } from '@authgate/shared/sessions/end-session';
import type { CommandHandler } from '../context.ts';
import { parseRefreshToken } from '../tokens.ts';

export const logout: CommandHandler = async (command, ctx) => {
  const { refreshToken } = logoutBody.parse(command.body);
  const presented = parseRefreshToken(refreshToken);
  const audit = { requestId: command.requestId, ip: command.meta.ip };
  const owner = presented && (await ctx.sessions.peek(presented.sid));
  if (!presented || !owner || !(await ctx.sessions.revoke(presented.sid, presented.hash))) {
    ctx.audit.emit({ ...audit, action: 'logout.rejected', ...(presented ? { sessionId: presented.sid } : {}) });
    throw new AppError('invalid_token', 'refresh token is invalid or expired');
  }
  // Every edge stops accepting the session's access tokens now, not at their exp, and the account's
  // live sockets hear of it.
  await endSession(ctx, owner.userId, presented.sid, 'logout', { refreshEnded: true });
  ctx.audit.emit({ ...audit, action: 'logout.succeeded', userId: owner.userId, sessionId: presented.sid });
  return { status: 204 };
};
