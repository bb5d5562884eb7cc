import type { Template } from '@authgate/mailer/templates/types';
import { notice } from '@authgate/mailer/templates/notices';

/**
 * The notices of a passkey added to or removed from the account (the mailer's templates table lists
 * them). Whoever holds a session could do either, so the owner hears of both; no secret in either.
 */
export const passkeyRegistered: Template<'passkey_registered'> = notice(
  (product) => `A passkey was added to your ${product} account`,
  'A passkey was added to your account: it signs in without the password, and without a code or a device approval.',
  'If it was you, nothing more to do. If not, remove it from your account page, change your password, and sign out the sessions you do not know.',
);

export const passkeyRemoved: Template<'passkey_removed'> = notice(
  (product) => `A passkey was removed from your ${product} account`,
  'A passkey was removed from your account: it no longer signs in.',
  'If it was you, nothing more to do. If not, change your password and sign out the sessions you do not know.',
);
