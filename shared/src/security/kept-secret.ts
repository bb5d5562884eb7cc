import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A development secret generated into DATA_DIR/keys/<name> (mode 0600 in a 0700 folder) and kept across
 * restarts, agreed on by processes starting together through an exclusive link: as the result-sealing
 * secret and the signing key are. Production sets the secret in the configuration instead.
 */
export function keptSecret(dataDir: string, name: string, bytes = 32): string {
  const dir = path.resolve(dataDir, 'keys');
  const file = path.join(dir, name);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, randomBytes(bytes).toString('base64url'), { mode: 0o600 });
    try {
      linkSync(tmp, file); // fails if another process won the race; then its secret is used
    } catch {
      /* keep the winner's secret */
    } finally {
      unlinkSync(tmp);
    }
    return readFileSync(file, 'utf8').trim();
  }
}
