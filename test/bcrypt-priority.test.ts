import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { post } from './helpers/http.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';
import { newEmail, PASSWORD } from './helpers/users.ts';

/** SCHED_IDLE's number in the policy field of /proc/<pid>/task/<tid>/stat (sched.h). */
const SCHED_IDLE = 5;

/** The nice value and scheduling policy of each thread of a process, read from /proc (Linux). */
function niceOfThreads(pid: number): { tid: number; nice: number; policy: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // Fields 19 and 41 of stat are nice and policy; after the ") " split, state is field 3 at index 0.
    return { tid: Number(tid), nice: Number(fields[16]), policy: Number(fields[38]) };
  });
}

/** BCRYPT_NICE: the libuv threads bcrypt runs on get the nice value; the event loop keeps its own. */
describe('bcrypt threads run at a lower priority than the event loop', () => {
  const data = tempDir('nice');
  const namespace = uniqueNamespace('nice');
  const processes: RunningProcess[] = [];
  let lowered: RunningProcess;
  let normal: RunningProcess;
  let edge: RunningProcess;
  let idle: RunningProcess;
  before(async () => {
    [lowered, normal, edge, idle] = await Promise.all([
      startProcess('all', { DATA_DIR: `${data.dir}/a`, BCRYPT_COST: '4', UV_THREADPOOL_SIZE: '3', BCRYPT_NICE: '10' }),
      startProcess('all', { DATA_DIR: `${data.dir}/b`, BCRYPT_COST: '4', UV_THREADPOOL_SIZE: '3', BCRYPT_NICE: '0' }),
      startProcess('edge', { DATA_DIR: `${data.dir}/c`, NAMESPACE: namespace, AMQP_URL, REDIS_URL, BCRYPT_NICE: '10' }),
      startProcess('all', { DATA_DIR: `${data.dir}/e`, BCRYPT_COST: '4', UV_THREADPOOL_SIZE: '3', BCRYPT_NICE: 'idle' }),
    ]);
    processes.push(lowered, normal, edge, idle);
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await cleanupNamespace(namespace);
    data.remove();
  });

  test('all-in-one with BCRYPT_NICE=10: exactly the pool threads (UV_THREADPOOL_SIZE) are at 10, the main thread at 0, and logins work', async () => {
    const email = newEmail();
    assert.equal((await post(lowered.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    assert.equal((await post(lowered.url, '/auth/login', { email, password: PASSWORD })).status, 200);
    const threads = niceOfThreads(lowered.child.pid!);
    assert.equal(threads.find((t) => t.tid === lowered.child.pid)!.nice, 0, 'the event loop');
    assert.equal(threads.filter((t) => t.nice === 10).length, 3, JSON.stringify(threads));
    assert.ok(
      threads.every((t) => t.nice === 0 || t.nice === 10),
      JSON.stringify(threads),
    );
  });

  test('BCRYPT_NICE=0 leaves every thread at 0; an edge (no bcrypt) lowers none', () => {
    assert.ok(
      niceOfThreads(normal.child.pid!).every((t) => t.nice === 0),
      'BCRYPT_NICE=0',
    );
    assert.ok(
      niceOfThreads(edge.child.pid!).every((t) => t.nice === 0),
      'edge',
    );
  });

  test('BCRYPT_NICE=idle: exactly the pool threads run under SCHED_IDLE, the main thread under the normal policy, and logins work', async () => {
    const email = newEmail();
    assert.equal((await post(idle.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    assert.equal((await post(idle.url, '/auth/login', { email, password: PASSWORD })).status, 200);
    const threads = niceOfThreads(idle.child.pid!);
    assert.equal(threads.find((t) => t.tid === idle.child.pid)!.policy, 0, 'the event loop');
    assert.equal(threads.filter((t) => t.policy === SCHED_IDLE).length, 3, JSON.stringify(threads));
    assert.ok(
      threads.every((t) => t.policy === 0 || t.policy === SCHED_IDLE),
      JSON.stringify(threads),
    );
  });

  test('a value other than 0-19 or idle is refused at start with the setting named', async () => {
    await assert.rejects(startProcess('all', { DATA_DIR: `${data.dir}/d`, BCRYPT_NICE: '20' }, 20_000), /BCRYPT_NICE/);
    await assert.rejects(startProcess('all', { DATA_DIR: `${data.dir}/f`, BCRYPT_NICE: 'lowest' }, 20_000), /BCRYPT_NICE/);
  });
});
