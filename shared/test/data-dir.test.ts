import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { tempDir } from '../../test/helpers/services.ts';
import { openPglite } from '@authgate/shared/db/database';

/**
 * DATA_DIR holds the embedded database (bcrypt hashes) and the development
 * signing key. Whatever creates it makes it 0700, and a DATA_DIR found readable by others is tightened.
 */
const modeOf = (dir: string) => statSync(dir).mode & 0o777;

/** Opens the embedded database, waits for it to answer (PGlite starts in the background), closes it. */
async function openAndClose(dataDir: string): Promise<void> {
  const db = openPglite(dataDir);
  try {
    await sql`select 1`.execute(db);
  } finally {
    await db.destroy();
  }
}

describe('DATA_DIR permissions', () => {
  test('the embedded database creates DATA_DIR and its pglite folder with mode 0700', async () => {
    const tmp = tempDir('datadir-db');
    try {
      const dataDir = path.join(tmp.dir, 'fresh', 'data');
      await openAndClose(dataDir);
      assert.equal(modeOf(dataDir).toString(8), '700', 'DATA_DIR');
      assert.equal(modeOf(path.join(dataDir, 'pglite')).toString(8), '700', 'DATA_DIR/pglite');
    } finally {
      tmp.remove();
    }
  });

  test('an existing world-readable DATA_DIR is tightened to 0700 by the database and by the key store', async () => {
    const tmp = tempDir('datadir-open');
    try {
      for (const opener of ['database', 'key'] as const) {
        const dataDir = path.join(tmp.dir, opener);
        mkdirSync(path.join(dataDir, opener === 'database' ? 'pglite' : 'keys'), { recursive: true });
        chmodSync(dataDir, 0o755);
        chmodSync(path.join(dataDir, opener === 'database' ? 'pglite' : 'keys'), 0o755);
        if (opener === 'database') await openAndClose(dataDir);
        else await loadSigningKey(loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test' }, 'worker'));
        assert.equal(modeOf(dataDir).toString(8), '700', `${opener}: DATA_DIR`);
        assert.equal(modeOf(path.join(dataDir, opener === 'database' ? 'pglite' : 'keys')).toString(8), '700', `${opener}: its folder`);
      }
    } finally {
      tmp.remove();
    }
  });

  test('the development key store creates DATA_DIR with mode 0700', async () => {
    const tmp = tempDir('datadir-key');
    try {
      const dataDir = path.join(tmp.dir, 'fresh');
      await loadSigningKey(loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test' }, 'worker'));
      assert.equal(modeOf(dataDir).toString(8), '700');
    } finally {
      tmp.remove();
    }
  });
});
