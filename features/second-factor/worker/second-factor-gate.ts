import { AppError } from '@authgate/shared/errors';
import { MFA_TOKEN_MAX_ATTEMPTS, MFA_TOKEN_TTL_MS, newMfaToken } from '@authgate/features/second-factor/stores/challenges';
import { originOf } from '@authgate/worker/audit';
import type { SignInGate } from '@authgate/worker/commands/sign-in-gates';

/**
 * An account with TOTP on signs in in two steps: the right password earns an mfaToken (256 random
 * bits, stored as its SHA-256 digest, 5 minutes, at most 5 codes, once), and `mfa_verify` with a code
 * resumes the sign-in after this step (handlers/mfa-verify.ts). The token is an error field that the
 * worker seals like a token pair (security/result-seal.ts): Redis never holds it in clear.
 */
export const secondFactorGate: SignInGate = {
  step: 'second_factor',
  // A passkey with user verification is possession and a PIN or biometric already: two factors.
  satisfiedBy: ['hwk'],
  async check({ command, user, deviceId }, ctx) {
    if (!(await ctx.mfa.totp.isEnabled(user.id))) return;
    const { token, digest } = newMfaToken();
    await ctx.mfa.challenges.create(digest, { userId: user.id, deviceId }, MFA_TOKEN_TTL_MS);
    ctx.audit.emit({ action: 'login.mfa_required', ...originOf(command), userId: user.id, deviceId });
    throw new AppError('mfa_required', 'this account has a second factor: send a code with the mfaToken to /auth/mfa/verify', {
      challenge: { mfaToken: token, methods: ['totp', 'recovery'], expiresIn: MFA_TOKEN_TTL_MS / 1000, maxAttempts: MFA_TOKEN_MAX_ATTEMPTS },
    });
  },
};
