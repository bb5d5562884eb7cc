/**
 * How many zero bits a digest begins with: the one measure of a proof of work, shared by the edge's
 * check, the Web Worker's search and the SDK's inline search. No imports: it is bundled into the
 * browser SDK and the page as well as loaded by the edge.
 */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}
