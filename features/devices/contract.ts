import { z } from 'zod';
import { DEVICE_ROUTES } from './routes.ts';
import { defineFeature, type OpenApiModule, type WorkerModule } from '../feature.ts';

/**
 * New devices: a sign-in from a device the account has never completed one from waits until a
 * session of the account approves it, or its emailed code is given (docs: features/devices/docs.md).
 */

/**
 * The handle of a sign-in waiting for its new device's approval. Any string within bounds: one that
 * names no waiting sign-in is `not_found`, like an expired one.
 */
const verificationIdSchema = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
export const deviceDecisionBody = z.object({ verificationId: verificationIdSchema });
/**
 * What only the waiting client holds: the `completeToken` of its `device_verification_required`
 * answer. Required to finish, but optional here: one missing, like a wrong one, is answered as an
 * unknown verification (`not_found`), so no answer tells whether a verification exists.
 */
const completeTokenSchema = z
  .string()
  .max(128, 'must be at most 128 characters')
  .describe('required: the completeToken of the device_verification_required answer; missing or wrong, 404 not_found');
/** The emailed code: any string within bounds, so that a malformed one costs a try like a wrong one. */
export const deviceVerifyBody = z.object({
  verificationId: verificationIdSchema,
  completeToken: completeTokenSchema.optional(),
  code: z.string().max(32, 'must be at most 32 characters'),
});
export const deviceCompleteBody = z.object({ verificationId: verificationIdSchema, completeToken: completeTokenSchema.optional() });

export const devicesFeature = defineFeature({
  name: 'devices',
  commands: [
    {
      kind: 'device_approve',
      body: deviceDecisionBody,
      ...DEVICE_ROUTES.device_approve,
      lane: 'session',
    },
    {
      kind: 'device_deny',
      body: deviceDecisionBody,
      ...DEVICE_ROUTES.device_deny,
      lane: 'session',
    },
    {
      kind: 'device_verify',
      body: deviceVerifyBody,
      ...DEVICE_ROUTES.device_verify,
      lane: 'session',
      signsIn: true,
    },
    {
      kind: 'device_complete',
      body: deviceCompleteBody,
      ...DEVICE_ROUTES.device_complete,
      lane: 'session',
      signsIn: true,
    },
  ],
  auditEvents: ['device.approval_requested', 'device.approved', 'device.denied'],
  worker: (): WorkerModule => import('./worker/index.ts'),
  openapi: (): OpenApiModule => import('./openapi.ts'),
});
