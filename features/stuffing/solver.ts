import { sha256 } from '@noble/hashes/sha2.js';
import { leadingZeroBits } from './zero-bits.ts';

/**
 * The Web Worker's proof-of-work search (solver-worker.ts): the first decimal nonce
 * such that SHA-256(salt + nonce) begins with `difficulty` zero bits. @noble/hashes (audited, no
 * dependencies, synchronous): WebCrypto's digest is a promise per hash, about ten times slower for
 * this many tiny inputs. The salt's hash state is computed once and cloned for each nonce.
 * No node: imports: bundled into the browser SDK and the page.
 */
export function searchNonce(salt: string, difficulty: number, from: number, count: number): string | undefined {
  const encoder = new TextEncoder();
  const prefix = sha256.create().update(encoder.encode(salt));
  for (let n = from; n < from + count; n++) {
    const nonce = String(n);
    if (leadingZeroBits(prefix.clone().update(encoder.encode(nonce)).digest()) >= difficulty) return nonce;
  }
  return undefined;
}
