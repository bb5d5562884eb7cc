import { z } from 'zod';
import { passwordSchema, tokenSchema } from '@authgate/shared/wire-fields';
import { SECOND_FACTOR_ROUTES } from './routes.ts';
import { defineFeature, type OpenApiModule, type WorkerModule } from '../feature.ts';

/**
 * The second factor (TOTP, with recovery codes): turn it on and off, and the second step of a sign-in
 * of an account that has it (docs: features/second-factor/docs.md).
 */

/**
 * A second-factor code as sent: any short string. Its form (six digits, or a recovery code) is the
 * worker's check, so that a malformed code is `invalid_code` like any other wrong one.
 */
const codeSchema = z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters');
/** `password`: the current one, so that a stolen access token alone cannot turn TOTP on and lock the owner out. */
export const mfaTotpSetupBody = z.object({ password: passwordSchema });
export const mfaTotpConfirmBody = z.object({ code: codeSchema });
/** `code`: a TOTP code or a recovery code. */
export const mfaTotpDisableBody = z.object({ password: passwordSchema, code: codeSchema });
const mfaVerifyFields = z.object({ mfaToken: tokenSchema, code: codeSchema.optional(), recoveryCode: codeSchema.optional() });
/** `{mfaToken, code}` or `{mfaToken, recoveryCode}`: exactly one of the two answers. */
export const mfaVerifyBody = mfaVerifyFields.refine((body) => (body.code === undefined) !== (body.recoveryCode === undefined), {
  message: 'give exactly one of code and recoveryCode',
  path: ['code'],
});

export const secondFactorFeature = defineFeature({
  name: 'second-factor',
  commands: [
    // Setup and disable check the current password: a bcrypt compare, on the password lane.
    {
      kind: 'mfa_totp_setup',
      body: mfaTotpSetupBody,
      ...SECOND_FACTOR_ROUTES.mfa_totp_setup,
      lane: 'password',
    },
    {
      kind: 'mfa_totp_confirm',
      body: mfaTotpConfirmBody,
      ...SECOND_FACTOR_ROUTES.mfa_totp_confirm,
      lane: 'session',
    },
    {
      kind: 'mfa_totp_disable',
      body: mfaTotpDisableBody,
      ...SECOND_FACTOR_ROUTES.mfa_totp_disable,
      lane: 'password',
    },
    {
      kind: 'mfa_verify',
      body: mfaVerifyBody,
      frame: mfaVerifyFields,
      ...SECOND_FACTOR_ROUTES.mfa_verify,
      lane: 'session',
      signsIn: true,
    },
  ],
  auditEvents: ['login.mfa_required', 'mfa.enabled', 'mfa.disabled', 'mfa.failed'],
  worker: (): WorkerModule => import('./worker/index.ts'),
  openapi: (): OpenApiModule => import('./openapi.ts'),
});
