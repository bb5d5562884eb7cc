import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Result } from '../protocol.ts';
import { HkdfSha256Block } from './hkdf-block.ts';
import { keptSecret } from './kept-secret.ts';

/**
 * Results are sealed, because a result waits 60 s in the result store (Redis, written to
 * disk under AOF, copied to replicas and backups) so that a client can collect it; a login's or a
 * refresh's result is a token pair. Anyone with Redis access alone must not be able to read it.
 *
 * How:
 * - the edge derives a key per request: HKDF-SHA256(RESULT_SEALING_SECRET, requestId). Any edge of
 *   the deployment can derive it again, so the result opens wherever it arrives: on the edge holding
 *   the WebSocket of a deferred request, on the edge a client collects from after its own edge died,
 *   on an edge resyncing after a gap in its subscription. No per-request key is stored anywhere;
 * - the command carries that one key (`resultSecret`) to the worker through the queue, never through
 *   Redis. The worker seals the result's body with it (AES-256-GCM, 96-bit random IV, the requestId
 *   and status as associated data) and forgets it. Workers never hold the secret itself: a worker
 *   learns the keys of the commands it runs, whose tokens it makes anyway;
 * - what Redis keeps is `sealed` in place of `data`: the requestId, the status and where it goes stay
 *   readable for routing, the body does not.
 *
 * Why not a key that travels nowhere (the edge encrypting to itself): the worker must seal, and the
 * queue is the one channel to it that does not end up next to the sealed result. The queue holds the
 * command only until a worker acknowledges it, and holds the password of a login anyway.
 * Every body is sealed, not only token pairs: one rule, nothing left to decide per command.
 */

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const HKDF_SALT = Buffer.from('authgate/result-seal/v1');

export class SealError extends Error {
  constructor() {
    super('a sealed result could not be opened');
    this.name = 'SealError';
  }
}

/** The edges' side: derives each request's key, and opens what workers sealed with it. */
export class ResultSealing {
  private readonly keys: HkdfSha256Block;

  constructor(secret: string | Buffer) {
    const bytes = Buffer.from(secret);
    if (bytes.length < KEY_BYTES) throw new Error(`the result sealing secret must be at least ${KEY_BYTES} bytes`);
    this.keys = new HkdfSha256Block(bytes, HKDF_SALT);
  }

  /** The key the worker seals `requestId`'s result with, as it travels in the command. */
  secretFor(requestId: string): string {
    return this.keys.derive(requestId).toString('base64url');
  }

  /** The result as the worker made it. Throws SealError if it was sealed under another key or altered. */
  open(result: Result): Result {
    if (result.sealed === undefined) return result;
    const { sealed, ...rest } = result;
    const body = openBody(sealed, this.keys.derive(result.requestId), associatedData(result));
    if (!rest.ok) return { ...rest, error: body as Extract<Result, { ok: false }>['error'] };
    return body === undefined ? rest : { ...rest, data: body };
  }
}

/** The worker's side: a successful result's body sealed under the key its command carried. */
export function sealResult(result: Result, resultSecret: string | undefined): Result {
  if (resultSecret === undefined) return result;
  if (result.ok) {
    if (result.data === undefined) return result;
    const { data, ...rest } = result;
    return { ...rest, sealed: seal(data, resultSecret, result) };
  }
  // A challenge's error (mfa_required with its mfaToken) is sealed whole; the readable copy keeps
  // only what routing and counting need.
  if (!hasChallenge(result.error)) return result;
  const { code, message } = result.error;
  return { ...result, error: { code, message }, sealed: seal(result.error, resultSecret, result) };
}

const PLAIN_ERROR_FIELDS = new Set(['code', 'message', 'details', 'retryAfter', 'requestId']);
function hasChallenge(error: Record<string, unknown>): boolean {
  return Object.keys(error).some((key) => !PLAIN_ERROR_FIELDS.has(key));
}

function seal(body: unknown, resultSecret: string, result: Result): string {
  const key = Buffer.from(resultSecret, 'base64url');
  if (key.length !== KEY_BYTES) throw new SealError();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(result));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
}

function openBody(sealed: string, key: Buffer, aad: Buffer): unknown {
  try {
    const [version, encoded] = sealed.split('.');
    if (version !== VERSION || !encoded) throw new SealError();
    const bytes = Buffer.from(encoded, 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new SealError();
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8'));
  } catch {
    throw new SealError();
  }
}

/** Bound to its request and status: a sealed body moved to another result, or a status changed, does not open. */
function associatedData(result: Result): Buffer {
  return Buffer.from(`${result.requestId}|${result.status}`);
}

/**
 * RESULT_SEALING_SECRET, or in development one generated into DATA_DIR (mode 0600) and kept across
 * restarts, agreed on by processes starting together through an exclusive link, as the signing key
 * is. Production requires it for every role that runs an edge (config.ts).
 */
export function loadResultSealingSecret(config: Pick<Config, 'RESULT_SEALING_SECRET' | 'DATA_DIR'>): string {
  return config.RESULT_SEALING_SECRET || keptSecret(config.DATA_DIR, 'result-sealing-secret', KEY_BYTES);
}
