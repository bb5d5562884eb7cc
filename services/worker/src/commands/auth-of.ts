import { AppError } from '@authgate/shared/errors';
import type { Command } from '@authgate/shared/protocol';

/** The session a signed-in command acts for: set by the edge after it verified the access token. */
export function authOf(command: Command): { sub: string; sid: string } {
  if (!command.meta.auth) throw new AppError('invalid_token', 'this request needs an access token');
  return command.meta.auth;
}
