import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startProcess } from '../../../test/helpers/processes.ts';
import { tempDir } from '../../../test/helpers/services.ts';

test('an invalid OIDC_CLIENTS entry stops the start, naming the client and the problem, never its secret', async () => {
  const data = tempDir('oidc-bad-clients');
  try {
    const clients = [{ client_id: 'broken', client_secret: 'do-not-print-this-secret-value', redirect_uris: ['not a url'] }];
    await assert.rejects(startProcess('all', { DATA_DIR: data.dir, METRICS_PORT: 'off', OIDC_CLIENTS: JSON.stringify(clients) }), (err: Error) => {
      assert.match(err.message, /exited with \d+ before starting/);
      assert.match(err.message, /OIDC_CLIENTS: client "broken" is invalid: .*redirect_uris/);
      assert.doesNotMatch(err.message, /do-not-print-this-secret-value/);
      return true;
    });
  } finally {
    data.remove();
  }
});
