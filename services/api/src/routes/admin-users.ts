import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '@authgate/shared/errors';
import { newAuditEvent, type AuthEventType } from '@authgate/shared/events/schema';
import type { EventBus } from '@authgate/shared/events/types';
import type { MailQueue } from '@authgate/shared/mail/types';
import { securityNoticeJob } from '@authgate/shared/mail/notice';
import { endPendingSignIns, type PendingSignInStores } from '@authgate/shared/sign-in/pending';
import type { SessionDirectory } from '@authgate/features/sessions/stores/directory';
import { endSession, type RevokeReason, type SessionEnding } from '@authgate/features/sessions/end-session';
import type { Accounts } from '../accounts.ts';
import type { AccessTokenAuth } from '../auth.ts';
import { errorAnswer } from '../schemas.ts';
import { userAgentOf } from '../storable-input.ts';

const userParams = z.object({ id: z.uuid({ message: 'must be a user id' }) });
const noContent = z.null().describe('No content');

export interface AdminUserDeps {
  users: Accounts;
  auth: AccessTokenAuth;
  sessionEnding: SessionEnding & { directory: SessionDirectory };
  /** Where the admin's actions go into the audit trail (each ended session, a disabled account). */
  events: EventBus;
  /** Sign-ins waiting for a second factor or a device's approval: a disabled account's, or one whose second factor went, end. */
  pendingSignIns: PendingSignInStores;
  /** The notice to the owner when an administrator turns their second factor off. */
  mail: MailQueue;
}

/** Administrators disable and enable accounts, end their sessions and turn off their second factor (ADMIN_USER_IDS). */
export function registerAdminUserRoutes(app: FastifyInstance, deps: AdminUserDeps): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const schema = (operationId: string, summary: string, description: string) => ({
    operationId,
    tags: ['admin'],
    summary,
    description,
    security: [{ bearerAuth: [] }],
    params: userParams,
    response: { 204: noContent, 400: errorAnswer, 401: errorAnswer, 403: errorAnswer, 404: errorAnswer, 503: errorAnswer },
  });

  /**
   * One audit event of an admin's action, as the worker's are: who (the admin's id in `data.by`),
   * from where. Not refused when the bus is away: the action happened, so it is logged instead.
   */
  const trail = async (
    request: FastifyRequest,
    type: AuthEventType,
    userId: string,
    fields: { sessionId?: string; reason?: RevokeReason; actor?: 'administrator' },
  ) => {
    const event = newAuditEvent({
      type,
      userId,
      sessionId: fields.sessionId,
      ip: request.ip,
      userAgent: userAgentOf(request.headers['user-agent']),
      data: {
        requestId: request.id,
        by: request.accessToken!.sub,
        ...(fields.reason ? { reason: fields.reason } : {}),
        ...(fields.actor ? { actor: fields.actor } : {}),
      },
    });
    await deps.events.publish(event).catch((err: unknown) => request.log.error({ err, eventId: event.id, type, userId }, 'audit event not published'));
  };

  /** Every session of the account ends now: refresh tokens, access tokens on every edge, live sockets (4001). */
  const endAll = async (request: FastifyRequest, userId: string, reason: RevokeReason) => {
    for (const session of await deps.sessionEnding.directory.list(userId)) {
      await endSession(deps.sessionEnding, userId, session.id, reason);
      await trail(request, 'session.revoked', userId, { sessionId: session.id, reason });
    }
  };

  /**
   * The account's sign-ins still waiting for a second factor or a device's approval end: what began
   * them no longer stands. Redis away is `503 overloaded`: the action itself is done, and asking again
   * repeats only this step.
   */
  const endPending = async (request: FastifyRequest, userId: string) => {
    try {
      const ended = await endPendingSignIns(deps.pendingSignIns, userId);
      if (ended.mfaTokens + ended.deviceVerifications > 0) request.log.info({ userId, ...ended }, 'pending sign-ins ended');
    } catch (err) {
      request.log.warn({ err, userId }, 'pending sign-ins not ended');
      throw new AppError('overloaded', 'the pending sign-ins of the account could not be ended, retry later');
    }
  };

  typed.post(
    '/admin/users/:id/disable',
    {
      schema: schema(
        'api_admin_user_disable',
        'Disable an account',
        'Login answers 403 account_disabled from now on; every session of the account is revoked and its sockets closed (4001).',
      ),
      onRequest: deps.auth.requireAdmin,
    },
    async (request, reply) => {
      if (!(await deps.users.setDisabled(request.params.id, new Date()))) throw new AppError('not_found', 'no such user');
      await trail(request, 'account.disabled', request.params.id, {});
      await endAll(request, request.params.id, 'account_disabled');
      await endPending(request, request.params.id);
      request.log.info({ userId: request.params.id, by: request.accessToken!.sub }, 'account disabled');
      return reply.status(204).send(null);
    },
  );

  typed.post(
    '/admin/users/:id/enable',
    {
      schema: schema(
        'api_admin_user_enable',
        'Enable an account',
        "The account can sign in again; the audit trail records `account.enabled` with the administrator's id in `data.by`.",
      ),
      onRequest: deps.auth.requireAdmin,
    },
    async (request, reply) => {
      if (!(await deps.users.setDisabled(request.params.id, null))) throw new AppError('not_found', 'no such user');
      await trail(request, 'account.enabled', request.params.id, {});
      request.log.info({ userId: request.params.id, by: request.accessToken!.sub }, 'account enabled');
      return reply.status(204).send(null);
    },
  );

  typed.post(
    '/admin/users/:id/sessions/revoke',
    {
      schema: schema(
        'api_admin_user_sessions_revoke',
        'Revoke every session of an account',
        'Every session of the account is revoked and its sockets closed (4001); the account may sign in again.',
      ),
      onRequest: deps.auth.requireAdmin,
    },
    async (request, reply) => {
      if (!(await deps.users.findById(request.params.id))) throw new AppError('not_found', 'no such user');
      await endAll(request, request.params.id, 'revoked_by_admin');
      return reply.status(204).send(null);
    },
  );

  typed.post(
    '/admin/users/:id/mfa/disable',
    {
      schema: schema(
        'api_admin_user_mfa_disable',
        "Turn off an account's second factor",
        'The way back for an owner who lost their authenticator and recovery codes: TOTP is turned off (the secret and the recovery codes deleted), every sign-in of the account waiting for a code or a new device\'s approval ends, the owner is mailed a notice, and the audit trail records `mfa.disabled` with `data.actor` "administrator" and the administrator\'s id in `data.by`. An account whose TOTP is off already answers 204 too, with no notice and no event.',
      ),
      onRequest: deps.auth.requireAdmin,
    },
    async (request, reply) => {
      const user = await deps.users.findById(request.params.id);
      if (!user) throw new AppError('not_found', 'no such user');
      const wasOn = await deps.users.turnOffTotp(user.id);
      if (wasOn) {
        await trail(request, 'mfa.disabled', user.id, { actor: 'administrator' });
        // The owner hears of it from the mail, not from the administrator's address: no origin in it.
        await deps.mail
          .publish(securityNoticeJob(user.email, { kind: 'mfa_disabled', by: 'administrator' }))
          .catch((err: unknown) => request.log.error({ err, userId: user.id }, 'mfa disabled notice not queued'));
      }
      await endPending(request, user.id);
      request.log.info({ userId: user.id, by: request.accessToken!.sub, wasOn }, 'second factor turned off by an administrator');
      return reply.status(204).send(null);
    },
  );
}
