import { searchNonce } from './solver.ts';

/** The Web Worker the SDK solves in, off the page's main thread: one message in, one nonce out. */
const scope = globalThis as unknown as { onmessage: ((e: { data: { salt: string; difficulty: number } }) => void) | null; postMessage(v: unknown): void };

scope.onmessage = (event) => {
  const { salt, difficulty } = event.data;
  for (let from = 0; ; from += 1 << 20) {
    const nonce = searchNonce(salt, difficulty, from, 1 << 20);
    if (nonce !== undefined) {
      scope.postMessage({ nonce });
      return;
    }
  }
};
