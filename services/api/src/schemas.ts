import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '@authgate/shared/errors';
import { emailSchema } from '@authgate/shared/protocol';

/**
 * Every request and response shape of the account API. Routes validate and serialize through these,
 * and the OpenAPI document at /docs is generated from them: what is documented is what is enforced.
 */

export const checkEmailQuery = z.object({
  email: emailSchema.describe('The address to look up; compared case-insensitively.'),
});

export const emailParams = z.object({
  email: emailSchema.describe('The address of the user; compared case-insensitively.'),
});

export const checkEmailAnswer = z.object({ exists: z.boolean() });

/**
 * A user as any answer shows it. The object strips every key it does not name, and it names no
 * password hash: even a record passed whole could not leak one.
 */
export const publicUser = z.object({
  id: z.uuid(),
  email: z.string(),
  emailVerified: z.boolean().describe('The owner followed a verification (or reset) link sent to this address'),
  mfaEnabled: z.boolean().describe('A second factor is on (always false until TOTP is available)'),
  createdAt: z.iso.datetime({ offset: true }).describe('ISO 8601'),
});
export type PublicUser = z.infer<typeof publicUser>;

export const healthAnswer = z.object({ status: z.literal('ok') });
export const readyAnswer = z.object({ status: z.enum(['ready', 'unavailable']) });

const errorCodes = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** The one error shape of docs/errors.md. */
export const errorAnswer = z.object({
  error: z.object({
    code: z.enum(errorCodes),
    message: z.string(),
    requestId: z.string(),
    details: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('invalid_request only: the failing fields'),
    retryAfter: z.number().int().optional().describe('rate_limited only: seconds to wait, as in the Retry-After header'),
  }),
});
export type ErrorAnswer = z.infer<typeof errorAnswer>;
