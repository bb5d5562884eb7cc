import { randomUUID } from 'node:crypto';
import { AppError } from '@authgate/shared/errors';
import { checkNewPassword } from '@authgate/shared/password-policy';
import type { Command } from '@authgate/shared/protocol';
import { registerBody } from '../contract.ts';
import type { Handler } from './drivers.ts';
import { originOf } from '@authgate/worker/audit';
import { mailVerification } from '@authgate/worker/commands/verification-mail';

export const register: Handler = async (command: Command, ctx) => {
  const { email, password } = registerBody.parse(command.body);
  checkNewPassword(password, email);
  await ctx.stuffing.refuseBreached(password);
  // Cheap check first: no bcrypt work for an address that is already taken, unless this very command
  // took it on an earlier delivery whose result was lost: then it answers as that delivery would have.
  const holder = await ctx.users.findByEmail(email);
  if (holder?.registrationRequestId === command.requestId) {
    // The first delivery may have stopped before its verification mail: this queues it unless it did.
    await mailVerification(ctx, command, holder);
    return { status: 201, data: { userId: holder.id } };
  }
  if (holder) throw new AppError('email_taken', 'an account with this email already exists');

  const outcome = await ctx.users.create({
    id: randomUUID(),
    email,
    passwordHash: await ctx.hasher.hash(password),
    registrationRequestId: command.requestId,
  });
  // A redelivered command finds the user it created itself and answers as the first delivery did.
  const userId = outcome.created ? outcome.id : outcome.existing.registrationRequestId === command.requestId ? outcome.existing.id : undefined;
  if (!userId) throw new AppError('email_taken', 'an account with this email already exists');
  ctx.audit.emit({ action: 'register.succeeded', ...originOf(command), userId });
  await mailVerification(ctx, command, { id: userId, email });
  return { status: 201, data: { userId } };
};
