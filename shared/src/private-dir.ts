import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * Makes `dir` a folder only this user can enter (mode 0700): created so, with its missing parents,
 * and tightened when it exists readable by others. DATA_DIR holds the embedded database (bcrypt
 * hashes) and the development signing key.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
