import { z } from 'zod';
import { challengeAnswerSchema } from '@authgate/features/stuffing/contract';
import { deviceIdSchema, emailSchema, passwordSchema, tokenSchema } from '@authgate/shared/wire-fields';
import { PASSWORD_ROUTES } from './routes.ts';
import { defineFeature, type OpenApiModule, type WorkerModule } from '../feature.ts';

/**
 * Password sign-in and the password's life: register, log in, forget, reset, change
 * (docs: features/password/docs.md). Every command that hashes or compares a password runs on the
 * password lane and takes a unit of its source's password work at the edge.
 */

export const registerBody = z.object({ email: emailSchema, password: passwordSchema });
export const loginBody = z.object({
  email: emailSchema,
  password: passwordSchema,
  deviceId: deviceIdSchema.optional(),
  /** A solved proof of work, while the deployment is under credential stuffing (features/stuffing). */
  challenge: challengeAnswerSchema.optional(),
});
export const passwordForgotBody = z.object({ email: emailSchema });
/** `token`: the one the reset mail carries. */
export const passwordResetBody = z.object({ token: tokenSchema, password: passwordSchema });
export const passwordChangeBody = z.object({ currentPassword: passwordSchema, newPassword: passwordSchema });

export type RegisterBody = z.infer<typeof registerBody>;
export type LoginBody = z.infer<typeof loginBody>;

export const passwordFeature = defineFeature({
  name: 'password',
  commands: [
    {
      kind: 'register',
      body: registerBody,
      ...PASSWORD_ROUTES.register,
      lane: 'password',
      newPassword: { field: 'password', emailField: 'email' },
    },
    {
      kind: 'login',
      body: loginBody,
      ...PASSWORD_ROUTES.login,
      lane: 'password',
      signsIn: true,
      passwordSignIn: true,
    },
    {
      kind: 'password_forgot',
      body: passwordForgotBody,
      ...PASSWORD_ROUTES.password_forgot,
      lane: 'session',
      answeredAtEdge: true,
    },
    {
      kind: 'password_reset',
      body: passwordResetBody,
      ...PASSWORD_ROUTES.password_reset,
      lane: 'password',
      // The account's address is not known at the edge: the worker checks the policy again with it.
      newPassword: { field: 'password' },
    },
    {
      kind: 'password_change',
      body: passwordChangeBody,
      ...PASSWORD_ROUTES.password_change,
      lane: 'password',
      newPassword: { field: 'newPassword' },
    },
  ],
  auditEvents: [
    'register',
    'login.succeeded',
    'login.failed',
    'password.reset_requested',
    'password.reset',
    'password.changed',
    /** A wrong password on a signed-in account's command (change, second factor on or off): `data.reason` names the command. */
    'password.check_failed',
  ],
  worker: (): WorkerModule => import('./worker/index.ts'),
  openapi: (): OpenApiModule => import('./openapi.ts'),
});
