import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { startProcess, type RunningProcess } from '../../helpers/processes.ts';
import { tempDir } from '../../helpers/services.ts';
import { attack } from '../support/cases.ts';
import { newEmail, newIp, newPassword, postJson, register, verifyRest } from '../support/client.ts';
import { everyProcess } from '../support/deployment.ts';

/**
 * The all-in-one mode has no Redis: its edge and worker share in-process drivers. The brute-force
 * counters the edge keeps must be the ones the worker resets, and the worker's revocations the ones
 * the edge reads.
 */
export function allInOneAttacks(): void {
  describe('all-in-one process: the in-process limiter and revocation list are shared by edge and worker', () => {
    const data = tempDir('sec-aio');
    let proc: RunningProcess;
    before(async () => {
      proc = await startProcess(
        'all',
        {
          DATA_DIR: data.dir,
          BCRYPT_COST: '4',
          LOG_LEVEL: 'debug',
          TRUSTED_PROXIES: '127.0.0.1',
          LOGIN_FREE_FAILURES: '2',
          LOGIN_BACKOFF_BASE_S: '30',
        },
        60_000,
      );
      const captured = { name: 'all-in-one', process: proc, stderr: [] as string[] };
      proc.child.stderr!.on('data', (chunk: Buffer) => captured.stderr.push(chunk.toString()));
      everyProcess.push(captured);
    });
    after(async () => {
      await proc?.stop();
      data.remove();
    });

    attack("all-in-one: failures counted by the edge are reset by the worker's success, and the pair locks after the free failures", async () => {
      const email = newEmail('aio');
      const password = newPassword();
      await register(proc.url, email, password, newIp());
      const ip = newIp();
      const login = (p: string) => postJson(proc.url, '/auth/login', { email, password: p }, ip);
      assert.equal((await login('wrong one here')).status, 401);
      assert.equal((await login(password)).status, 200, 'a success after one failure');
      assert.equal((await login('wrong two here')).status, 401, 'counted from zero again');
      assert.equal((await login('wrong three here')).status, 401);
      const locked = await login(password);
      assert.equal(locked.status, 429, 'locked after two consecutive failures');
      assert.equal(locked.body.error.retryAfter, 30);
    });

    attack("all-in-one: after logout the session's access token is refused at once", async () => {
      const email = newEmail('aio-logout');
      const password = newPassword();
      await register(proc.url, email, password, newIp());
      const pair = (await postJson(proc.url, '/auth/login', { email, password }, newIp())).body;
      assert.equal((await verifyRest(proc.url, pair.accessToken)).status, 200);
      assert.equal((await postJson(proc.url, '/auth/logout', { refreshToken: pair.refreshToken })).status, 204);
      assert.equal((await verifyRest(proc.url, pair.accessToken)).status, 401);
    });
  });
}
