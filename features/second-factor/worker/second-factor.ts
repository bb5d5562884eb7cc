import type { Drivers } from '@authgate/worker/feature';
import { AppError } from '@authgate/shared/errors';
import type { TotpRepository } from '@authgate/features/second-factor/stores/db-totp';
import type { MfaChallengeStore } from '@authgate/features/second-factor/stores/challenges';
import type { Command } from '@authgate/shared/protocol';
import { originOf } from '@authgate/worker/audit';
import type { CodeLimiter } from '@authgate/worker/commands/code-limiter';
import { recoveryCodeDigest } from './recovery-codes.ts';
import type { TotpSecretBox } from './secret-box.ts';
import { matchingStep } from './totp.ts';

/** What the worker needs for the second factor (WorkerContext.mfa). */
export interface SecondFactorContext {
  totp: TotpRepository;
  box: TotpSecretBox;
  /** Pending `mfa_required` challenges, by mfaToken digest. */
  challenges: MfaChallengeStore;
  limiter: CodeLimiter;
  /** Epoch ms that TOTP steps are counted from: Date.now in every process; unit tests pass their own clock. */
  now: () => number;
}

/** A person's answer to 'prove it is you': a TOTP code or a recovery code. */
export type SecondFactorAnswer = { code: string } | { recoveryCode: string };

/**
 * Checks the second factor of a user whose TOTP is on, counting the attempt against the per-account
 * and per-address limits first. A TOTP code must match now's step ±1 (matchingStep) and be of a step
 * later than the last one accepted (replay: TotpRepository.useStep, one conditional UPDATE); a
 * recovery code must be one of the user's unused ones (spent in the same step). A wrong answer is an
 * `mfa.failed` audit event and `invalid_code`; neither the code nor the secret is logged.
 */
export async function checkSecondFactor(
  ctx: Drivers<'audit' | 'log' | 'mfa'>,
  command: Command,
  userId: string,
  answer: SecondFactorAnswer,
): Promise<'totp' | 'recovery'> {
  const { mfa } = ctx;
  await mfa.limiter.admit(userId, command.meta.ip);
  const method = 'code' in answer ? 'totp' : 'recovery';
  const accepted =
    method === 'totp'
      ? await totpAccepted(mfa, userId, (answer as { code: string }).code)
      : await recoveryAccepted(mfa, userId, (answer as { recoveryCode: string }).recoveryCode);
  if (!accepted) {
    ctx.audit.emit({ action: 'mfa.failed', ...originOf(command), userId, reason: method });
    throw new AppError('invalid_code', 'the code is wrong, expired or already used');
  }
  await mfa.limiter
    .succeeded(userId, command.meta.ip)
    .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'code limiter not rewarded'));
  return method;
}

async function totpAccepted(mfa: SecondFactorContext, userId: string, code: string): Promise<boolean> {
  const enrolment = await mfa.totp.find(userId);
  if (!enrolment?.confirmedAt) return false;
  const step = matchingStep(mfa.box.open(enrolment.secretSealed, userId), code, mfa.now());
  return step !== undefined && (await mfa.totp.useStep(userId, step));
}

async function recoveryAccepted(mfa: SecondFactorContext, userId: string, recoveryCode: string): Promise<boolean> {
  const digest = recoveryCodeDigest(recoveryCode);
  return digest !== undefined && (await mfa.totp.useRecoveryCode(userId, digest));
}

/** `code` of a disable: six digits are a TOTP code, anything else is tried as a recovery code. */
export function answerOfCode(code: string): SecondFactorAnswer {
  return /^\d{6}$/.test(code) ? { code } : { recoveryCode: code };
}
