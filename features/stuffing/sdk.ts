import { leadingZeroBits } from './zero-bits.ts';

/**
 * The stuffing defence's part of the client SDK: solving a `challenge_required` by itself. In a
 * browser the search runs in a Web Worker (solver-worker.ts, with @noble/hashes: the page stays
 * responsive); where there is no Worker, or it cannot load, it runs inline in slices, yielding to the
 * event loop between them: with node:crypto where the runtime offers it (Node's
 * process.getBuiltinModule), else WebCrypto. No zod, no node: imports: bundled into the browser
 * build (client/dist), which stays small because the hash library is only in the worker's file.
 */

/** The `challenge` object of a `challenge_required` error (features/stuffing/docs.md). */
export interface ProofOfWork {
  algorithm: string;
  salt: string;
  difficulty: number;
  expiresAt: number;
}

/** What the login sends back: `challenge: {salt, nonce}`. */
export interface SolvedChallenge {
  salt: string;
  nonce: string;
}

/** The SDK's `challenge` event: the page shows "Checking your browser…" while it is `solving`. */
export interface ChallengeProgress {
  state: 'solving' | 'solved';
  difficulty: number;
  /** `worker` (a Web Worker) or `inline`. */
  via: 'worker' | 'inline';
  /** Milliseconds the search took (`solved`). */
  ms?: number;
}

const INLINE_SLICE = 1 << 14;

type WorkerLike = {
  onmessage: ((e: { data: { nonce: string } }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  postMessage(v: unknown): void;
  terminate(): void;
};
type WorkerConstructor = new (url: URL, options: { type: 'module' }) => WorkerLike;
/** The global Worker where there is one (the Node typings the SDK is checked with have no DOM). */
declare const Worker: WorkerConstructor;

/** Solves `challenge`; `progress` hears when it starts and ends. Rejects for an algorithm it does not know. */
export async function solveProofOfWork(challenge: ProofOfWork, progress?: (p: ChallengeProgress) => void): Promise<SolvedChallenge> {
  if (challenge.algorithm !== 'sha256') throw new Error(`unknown challenge algorithm: ${challenge.algorithm}`);
  const started = Date.now();
  if (typeof (globalThis as { Worker?: unknown }).Worker === 'function') {
    progress?.({ state: 'solving', difficulty: challenge.difficulty, via: 'worker' });
    try {
      const nonce = await inWorker(challenge);
      progress?.({ state: 'solved', difficulty: challenge.difficulty, via: 'worker', ms: Date.now() - started });
      return { salt: challenge.salt, nonce };
    } catch {
      // A Content-Security-Policy without worker-src, or a file the server does not serve: inline.
    }
  }
  progress?.({ state: 'solving', difficulty: challenge.difficulty, via: 'inline' });
  const nonce = await inline(challenge);
  progress?.({ state: 'solved', difficulty: challenge.difficulty, via: 'inline', ms: Date.now() - started });
  return { salt: challenge.salt, nonce };
}

function inWorker(challenge: ProofOfWork): Promise<string> {
  // Written exactly so: the bundler (Vite) sees this form and builds the worker with its imports.
  const worker = new Worker(new URL('./solver-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<string>((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data.nonce);
    worker.onerror = reject;
    worker.postMessage({ salt: challenge.salt, difficulty: challenge.difficulty });
  }).finally(() => worker.terminate());
}

type NodeCrypto = { createHash(algorithm: 'sha256'): { update(text: string): { digest(): Uint8Array } } };

async function inline(challenge: ProofOfWork): Promise<string> {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const nodeCrypto = runtime?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  const encoder = new TextEncoder();
  for (let from = 0; ; from += INLINE_SLICE) {
    for (let n = from; n < from + INLINE_SLICE; n++) {
      const input = challenge.salt + n;
      const digest = nodeCrypto
        ? nodeCrypto.createHash('sha256').update(input).digest()
        : new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(input)));
      if (leadingZeroBits(digest) >= challenge.difficulty) return String(n);
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
