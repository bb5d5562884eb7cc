import { AppError } from '@authgate/shared/errors';
import { sessionRevokeBody } from '../contract.ts';
import { endSession } from '@authgate/features/sessions/end-session';
import { authOf } from '@authgate/worker/commands/auth-of';
import type { Handler } from './drivers.ts';
import { originOf } from '@authgate/worker/audit';

export const sessionsList: Handler = async (command, ctx) => {
  const auth = authOf(command);
  const sessions = await ctx.directory.list(auth.sub);
  return {
    status: 200,
    data: sessions.map((s) => ({
      id: s.id,
      current: s.id === auth.sid,
      deviceId: s.deviceId ?? null,
      userAgent: s.userAgent ?? null,
      ip: s.ip ?? null,
      createdAt: new Date(s.createdAt).toISOString(),
      lastUsedAt: new Date(s.lastUsedAt).toISOString(),
    })),
  };
};

export const sessionRevoke: Handler = async (command, ctx) => {
  const auth = authOf(command);
  const { sessionId } = sessionRevokeBody.parse(command.body);
  // Only one of the account's own sessions: another account's id is as unknown as a made-up one.
  const own = (await ctx.directory.list(auth.sub)).some((s) => s.id === sessionId);
  if (!own) throw new AppError('not_found', 'no such session');
  await endSession(ctx, auth.sub, sessionId, 'revoked');
  ctx.audit.emit({ action: 'session.revoked', ...originOf(command), userId: auth.sub, sessionId, reason: 'revoked' });
  return { status: 204 };
};

export const sessionsRevokeOthers: Handler = async (command, ctx) => {
  const auth = authOf(command);
  const others = (await ctx.directory.list(auth.sub)).filter((s) => s.id !== auth.sid);
  for (const session of others) {
    await endSession(ctx, auth.sub, session.id, 'revoked');
    ctx.audit.emit({ action: 'session.revoked', ...originOf(command), userId: auth.sub, sessionId: session.id, reason: 'revoked' });
  }
  return { status: 204 };
};
