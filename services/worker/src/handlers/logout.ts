import { AppError, logoutBody } from '@authgate/shared';
import type { CommandHandler } from '../context.ts';
import { parseRefreshToken } from '../tokens.ts';

export const logout: CommandHandler = async (command, ctx) => {
  const { refreshToken } = logoutBody.parse(command.body);
  const presented = parseRefreshToken(refreshToken);
  const audit = { requestId: command.requestId, ip: command.meta.ip };
  // Whose session it is, read before it goes: the event belongs in that user's trail.
  const owner = presented ? await ctx.sessions.peek(presented.sid) : undefined;
  if (!presented || !(await ctx.sessions.revoke(presented.sid, presented.hash))) {
    ctx.audit.emit({ ...audit, action: 'logout.rejected', ...(presented ? { sessionId: presented.sid } : {}) });
    throw new AppError('invalid_token', 'refresh token is invalid or expired');
  }
  // Every edge stops accepting the session's access tokens now, not at their exp.
  await ctx.revocations.revoke(presented.sid);
  ctx.audit.emit({ ...audit, action: 'logout.succeeded', sessionId: presented.sid, ...(owner ? { userId: owner.userId } : {}) });
  return { status: 204 };
};
