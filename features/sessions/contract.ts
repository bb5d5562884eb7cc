import { z } from 'zod';
import { deviceIdSchema, tokenSchema } from '@authgate/shared/wire-fields';
import { SESSION_ROUTES } from './routes.ts';
import { defineFeature, type OpenApiModule, type WorkerModule } from '../feature.ts';

/**
 * Sessions: refresh-token rotation, logout, and the account's list of its sessions with revocation
 * (docs: features/sessions/docs.md). Cheap commands: the session lane.
 */

/** `deviceId`: for a session signed in with one, the grace window for concurrent refreshes answers only that device. */
export const refreshBody = z.object({ refreshToken: tokenSchema, deviceId: deviceIdSchema.optional() });
export const logoutBody = z.object({ refreshToken: tokenSchema });
export const sessionsListBody = z.object({});
export const sessionRevokeBody = z.object({ sessionId: z.uuid({ message: 'must be a session id' }) });
export const sessionsRevokeOthersBody = z.object({});

export type RefreshBody = z.infer<typeof refreshBody>;
export type LogoutBody = z.infer<typeof logoutBody>;

export const sessionsFeature = defineFeature({
  name: 'sessions',
  commands: [
    {
      kind: 'refresh',
      body: refreshBody,
      ...SESSION_ROUTES.refresh,
      lane: 'session',
      signsIn: true,
    },
    { kind: 'logout', body: logoutBody, ...SESSION_ROUTES.logout, lane: 'session' },
    {
      kind: 'sessions_list',
      body: sessionsListBody,
      ...SESSION_ROUTES.sessions_list,
      lane: 'session',
    },
    {
      kind: 'session_revoke',
      body: sessionRevokeBody,
      ...SESSION_ROUTES.session_revoke,
      lane: 'session',
    },
    {
      kind: 'sessions_revoke_others',
      body: sessionsRevokeOthersBody,
      ...SESSION_ROUTES.sessions_revoke_others,
      lane: 'session',
    },
  ],
  auditEvents: ['refresh.reuse_detected', 'logout', 'session.revoked'],
  worker: (): WorkerModule => import('./worker/index.ts'),
  openapi: (): OpenApiModule => import('./openapi.ts'),
});
