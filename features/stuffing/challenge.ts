import { leadingZeroBits } from './zero-bits.ts';
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CHALLENGE_ALGORITHM, type ChallengeAnswer, type IssuedChallenge } from './contract.ts';

/**
 * The proof-of-work challenge: made and checked at the edge, with node:crypto only (edge-safe).
 *
 * Hand-written on purpose: the contract is exactly "SHA-256(salt + nonce) begins with `difficulty`
 * zero bits", and no well-kept library checks that (hashcash and ALTCHA libraries each define their
 * own salt and payload formats); the check is one hash and a count of leading zero bits.
 *
 * The salt is stateless and unforgeable: `s1.<difficulty>.<expiresAt>.<random>.<mac>`, where mac is
 * an HMAC-SHA256 (a key derived from the edges' shared secret by HKDF) of everything before it. A
 * client cannot pick an easier difficulty or a later expiry without breaking the mac, and any edge
 * can check a salt another edge made. Single use is the caller's (a SET NX of the salt's random part).
 */

const VERSION = 's1';
const RANDOM_BYTES = 16;
const MAC_BYTES = 16;
const HKDF_SALT = Buffer.from('authgate/stuffing-challenge/v1');

/** Why an answer was refused (a metric label and a log field; the client is only told to solve a new one). */
export type RefusalReason = 'malformed' | 'forged' | 'expired' | 'unsolved' | 'used';

export type AnswerCheck = { ok: true; id: string; expiresAt: number } | { ok: false; reason: RefusalReason };

export class ChallengeMint {
  private readonly key: Buffer;

  /** `secret`: shared by every edge of the deployment (RESULT_SEALING_SECRET); the mac key is derived from it. */
  constructor(secret: string | Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret), HKDF_SALT, 'challenge mac', 32));
  }

  issue(difficulty: number, ttlMs: number, now = Date.now()): IssuedChallenge {
    const expiresAt = now + ttlMs;
    const body = `${VERSION}.${difficulty}.${expiresAt}.${randomBytes(RANDOM_BYTES).toString('base64url')}`;
    return { algorithm: CHALLENGE_ALGORITHM, salt: `${body}.${this.mac(body)}`, difficulty, expiresAt };
  }

  /**
   * The checks, in order, each cheap before the next: the salt's form; its mac (this deployment made
   * it, with this difficulty and expiry: timing-safe comparison); its expiry; the work (one SHA-256).
   * `id` is what the caller spends to make the answer single use, until `expiresAt`.
   */
  check(answer: ChallengeAnswer, now = Date.now()): AnswerCheck {
    const parts = answer.salt.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const [, d, exp, random, mac] = parts as [string, string, string, string, string];
    const difficulty = Number(d);
    const expiresAt = Number(exp);
    if (!/^\d{1,2}$/.test(d) || difficulty < 1 || difficulty > 32 || !/^\d{1,15}$/.test(exp)) return { ok: false, reason: 'malformed' };
    // Check: the mac, so that difficulty and expiry are the ones this deployment issued.
    const expected = Buffer.from(this.mac(`${VERSION}.${d}.${exp}.${random}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
    // Check: expiry.
    if (expiresAt <= now) return { ok: false, reason: 'expired' };
    // Check: the work, one hash.
    if (
      leadingZeroBits(
        createHash('sha256')
          .update(answer.salt + answer.nonce)
          .digest(),
      ) < difficulty
    )
      return { ok: false, reason: 'unsolved' };
    return { ok: true, id: random, expiresAt };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, MAC_BYTES).toString('base64url');
  }
}

/** A solver for tests, benches and Node clients without the SDK: the first decimal nonce that does. */
export function solveChallenge(salt: string, difficulty: number): string {
  for (let n = 0; ; n++) {
    const nonce = String(n);
    if (
      leadingZeroBits(
        createHash('sha256')
          .update(salt + nonce)
          .digest(),
      ) >= difficulty
    )
      return nonce;
  }
}

export { leadingZeroBits };
